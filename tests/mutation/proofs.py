"""The proofs: for each mutation, the cases it is run against and the case IDs that must go red.

Every MUST case of the catalog must be in some proof's ``red`` set (``test_every_must_case_has_a_proof``):
a new case comes with its proof. Keep selections small and targeted; a case outside ``red`` in a
selection is a control that must stay green under the mutation.
"""

from __future__ import annotations

from fixtures import mutations_client as client
from fixtures import mutations_server as server

from mutation.harness import Proof

__all__ = ["PROOFS"]


def ids(*case_ids: str) -> frozenset[str]:
    return frozenset(case_ids)


PROOFS: tuple[Proof, ...] = (
    Proof(
        client.ClearRsv,
        ("ws/5.2/rsv1-without-extension", "ws/5.6/echo-text-empty"),
        ids("ws/5.2/rsv1-without-extension"),
    ),
    Proof(
        client.TruncateControlPayload,
        ("ws/5.5/ping-126-bytes", "ws/5.5.2/ping-empty"),
        ids("ws/5.5/ping-126-bytes"),
    ),
    Proof(
        server.CorruptEcho,
        ("ws/5.6/echo-text-empty", "ws/5.5.2/ping-empty"),
        ids("ws/5.6/echo-text-empty"),
    ),
    Proof(
        server.CorruptPong,
        ("ws/5.5.2/ping-empty", "ws/5.6/echo-text-empty"),
        ids("ws/5.5.2/ping-empty"),
    ),
)
