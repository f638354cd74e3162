"""The over-the-wire fuzzer (``rtconform fuzz`` / ``rtconform replay``) against real servers on 127.0.0.1.

The reference server must come out clean; a deliberately broken one (``broken_server.py``) must not.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

import pytest

from conformance.cli import main as rtconform
from conformance.wire.endpoint import parse_url
from conformance.wirefuzz.casefile import load_plan, plan_from_json, plan_to_json
from conformance.wirefuzz.plan import MUTATIONS, generate
from conformance.wirefuzz.session import FuzzSettings, fuzz, plan_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from target_servers import reference_server, spawn_server

BROKEN = [sys.executable, str(Path(__file__).with_name("broken_server.py"))]


def test_plans_are_reproducible_from_seed_and_index() -> None:
    assert plan_for(7, 12) == plan_for(7, 12)
    assert plan_for(7, 12) != plan_for(7, 13)


def test_generator_draws_every_mutation_and_valid_plans() -> None:
    rng = random.Random(1)
    plans = [generate(rng) for _ in range(600)]
    assert {p.violation for p in plans} == {None, *MUTATIONS}
    assert any(p.closes and p.violation is None for p in plans)
    assert any(g.chop for p in plans for g in p.groups)


def test_plan_json_round_trip() -> None:
    for index in range(50):
        plan = plan_for(3, index)
        assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan


def test_plan_from_json_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="not a fuzz plan"):
        plan_from_json({"groups": [{"label": "x"}]})


def test_reference_server_has_no_findings(tmp_path: Path) -> None:
    with reference_server() as (host, port):
        endpoint = parse_url(f"ws://{host}:{port}/")
        result = asyncio.run(fuzz(endpoint, FuzzSettings(duration=2.0, seed=11, timeout=2.0), tmp_path))
    assert result.findings == []
    assert result.plans > 10
    assert result.violations > 3
    doc = json.loads((tmp_path / "fuzz.json").read_text())
    assert doc["schema"] == "rtconform-fuzz/1"
    assert doc["findings"] == []
    assert doc["stopped"] == "time"


def test_broken_server_findings_are_saved_and_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    with spawn_server(BROKEN) as (host, port), reference_server() as (rhost, rport):
        url = f"ws://{host}:{port}/"
        code = rtconform(["fuzz", "--target", url, "--duration", "1", "--seed", "5", "--timeout", "1",
                          "--max-findings", "2", "--report-dir", str(tmp_path)])
        assert code == 1
        folder = tmp_path / f"{host}_{port}"
        doc = json.loads((folder / "fuzz.json").read_text())
        assert doc["findings"], doc
        finding = doc["findings"][0]
        assert finding["kind"] in {"accepted-invalid", "hang", "bad-close-code", "wrong-echo", "deviation"}
        case = folder / finding["case_file"]
        plan, saved = load_plan(case)
        assert saved["finding"]["kind"] == finding["kind"]
        assert plan.groups
        assert (folder / finding["transcript_file"]).read_text().startswith(finding["id"])
        capsys.readouterr()
        assert rtconform(["replay", str(case), "--target", url, "--timeout", "1"]) == 1
        assert "reproduced:" in capsys.readouterr().out
        assert rtconform(["replay", str(case), "--target", f"ws://{rhost}:{rport}/", "--timeout", "1"]) == 0
        assert "not reproduced" in capsys.readouterr().out


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TARGET", raising=False)
    assert rtconform(["fuzz", "--duration", "1"]) == 2
    assert rtconform(["fuzz", "--target", "http://x", "--duration", "1"]) == 2
    assert rtconform(["fuzz", "--target", "ws://127.0.0.1:9/", "--duration", "-1"]) == 2
    bad = tmp_path / "case.json"
    bad.write_text("{}")
    assert rtconform(["replay", str(bad), "--target", "ws://127.0.0.1:9/"]) == 2
    assert "error:" in capsys.readouterr().err


def test_unreachable_target_exits_3() -> None:
    # port 9 (discard) on loopback: nothing listens there in the test environment
    assert rtconform(["fuzz", "--target", "ws://127.0.0.1:9/", "--duration", "1", "--no-reports"]) == 3
