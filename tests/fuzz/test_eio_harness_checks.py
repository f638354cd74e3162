"""The Engine.IO harness (fuzz/fuzz_eio_packets.py) can fail: each invariant broken on purpose once."""

from __future__ import annotations

import pytest

from fuzz import fuzz_eio_packets
from fuzz._harness import HarnessFailure
from reference.core.eio import session as session_module
from reference.core.eio.reactions import EioError, Problem


def test_seeds_pass() -> None:
    for data in fuzz_eio_packets.SEEDS.values():
        fuzz_eio_packets.test_one_input(data)


def test_catches_a_payload_encoder_that_drops_a_packet(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fuzz_eio_packets.encode_payload
    monkeypatch.setattr(fuzz_eio_packets, "encode_payload", lambda packets: real(packets[:1]))
    with pytest.raises(HarnessFailure, match="payload"):
        fuzz_eio_packets.test_one_input(fuzz_eio_packets.SEEDS["batch"])


def test_catches_a_frame_encoder_that_changes_the_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzz_eio_packets, "encode_frame", lambda packet: "4" + str(packet.data))
    with pytest.raises(HarnessFailure, match="frame"):
        fuzz_eio_packets.test_one_input(b"\x00" + b"3probe")


def test_catches_an_error_that_leaves_the_session_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail_without_closing(self: session_module.Session, problem: Problem, detail: str) -> EioError:
        return EioError(problem, detail)

    monkeypatch.setattr(session_module.Session, "_fail", fail_without_closing)
    with pytest.raises(HarnessFailure, match="did not close the session"):
        fuzz_eio_packets.test_one_input(fuzz_eio_packets.SEEDS["invalid"])


def test_catches_a_malformed_poll_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "encode_payload", lambda packets: "x")
    with pytest.raises(Exception, match="unknown packet type"):
        fuzz_eio_packets.test_one_input(b"\x06" + b"\xff4a\xff\xff")


def test_catches_an_unbounded_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module.Session, "_enqueue",
                        lambda self, packet: (self._queue.append(packet), setattr(
                            self, "_queued_bytes", self._queued_bytes + len(packet.data) + 1)))
    with pytest.raises(HarnessFailure, match="bytes queued"):
        fuzz_eio_packets.test_one_input(fuzz_eio_packets.SEEDS["flood"])
