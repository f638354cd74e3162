"""Running client cases: the runner as for servers, with the client under test in place of a target.

A client suite is an ordinary catalog package (``conformance/catalog/<spec>/``, exporting ``SUITE``) whose
context, for each case, starts the case's server side on 127.0.0.1 and launches the client under test with
its URL: ``async with CLIENT_UNDER_TEST.get()(url) as client``. :func:`run_client_cases` sets that
variable around :func:`conformance.runner.run_cases`, so timeouts, transcripts, results and reports are the
same as for a server run; the target the reports name is the client's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar

from conformance.clients.process import Launch
from conformance.halt import Halt
from conformance.model import Case
from conformance.results import CaseResult
from conformance.runner import Progress, RunSettings, Started, run_cases
from conformance.wire.endpoint import Address, Endpoint

__all__ = ["CLIENT_UNDER_TEST", "client_address", "run_client_cases"]

#: The client under test of the current run; the client suites' contexts launch it once per case. Tasks
#: copy it when they are created, so every case of one :func:`run_client_cases` call sees the same one.
CLIENT_UNDER_TEST: ContextVar[Launch] = ContextVar("client_under_test")


def client_address(name: str) -> Address:
    """The address reports show for a client run: ``client:<name>`` (the cases serve on their own ports,
    so no host or port of it is ever connected to)."""
    return Address(url=f"client:{name}", scheme="http", host="client", port=0, resource="/")


async def run_client_cases(cases: Sequence[Case], launch: Launch, name: str, settings: RunSettings,
                           progress: Progress | None = None, *, halt: Halt | None = None,
                           started: Started | None = None) -> tuple[list[CaseResult], bool]:
    """Run client ``cases`` with ``launch`` as the client under test; as :func:`run_cases` returns
    (``halt`` and ``started`` as there)."""
    token = CLIENT_UNDER_TEST.set(launch)
    try:
        return await run_cases(cases, Endpoint(client_address(name)), settings, progress, halt,
                               started=started)
    finally:
        CLIENT_UNDER_TEST.reset(token)
