"""Shared by the connection-lifecycle cases (``lifecycle_*``): the target's promises and timed verdicts.

A lifecycle case judges the target against what it *promises* (``--profile NAME=VALUE``; the embedded
reference server declares its own in the suite's ``reference_profile``). The RFC sets no number for a
keepalive period, a handshake timeout or a buffer, so these cases are ``STRICT`` ("not an RFC
requirement") and cite the engineering source in their requirement. A case whose promise is not declared
still runs where it can and reports what it measured as ``informational``, with the number.

Profile names (documented in docs/catalog-ws.md and ``rtconform run --help``):

========================  =================================================================================
``keepalive-interval``    seconds of silence after which the target pings a peer
``pong-timeout``          seconds the target waits for the pong before dropping the peer
``idle-timeout``          seconds without input after which the target closes a peer (with a close frame)
``handshake-timeout``     seconds a client has to complete its opening handshake
``max-message-size``      largest message (bytes, all fragments) the target accepts
``max-connections``       connections the target serves at once
``buffer-limit``          bytes the target may buffer for one peer that does not read (default 64 MiB)
``flood-messages``        messages sent by the flood case (default 20000)
``rate-limit``            messages per second one peer may send on average
``rate-burst``            messages one peer may send back to back (default: one second's worth)
========================  =================================================================================

Bounds: a timed promise ``t`` is kept when the event comes within ``t * 1.5 + 0.5`` seconds (timer
granularity and a loaded machine), and broken when it has not come by then.
"""

from __future__ import annotations

import dataclasses

from conformance.measure import Measurement
from conformance.model import CaseFailed, Skip, Verdict
from conformance.wire.endpoint import Endpoint

__all__ = ["DEFAULT_BUFFER_LIMIT", "DEFAULT_FLOOD", "UNDECLARED_WAIT", "bound", "fails_late", "measured",
           "promise", "promise_int", "seconds"]

#: ``buffer-limit`` when the profile gives none (issue 12: "default 64 MiB").
DEFAULT_BUFFER_LIMIT = 64 * 2**20
#: ``flood-messages`` when the profile gives none (short enough for the embedded run).
DEFAULT_FLOOD = 20_000
#: How long a case waits to measure a promise the target did not declare.
UNDECLARED_WAIT = 3.0


def promise(endpoint: Endpoint, name: str) -> float | None:
    """The profile's positive number for ``name``, or None when undeclared.

    Raises:
        Skip: the value is not a positive number (the user's mistake, said plainly).
    """
    raw = endpoint.option(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Skip(f"profile {name}={raw!r} is not a number") from None
    if not value > 0:
        raise Skip(f"profile {name}={raw!r} is not positive")
    return value


def promise_int(endpoint: Endpoint, name: str) -> int | None:
    """:func:`promise` as a whole number (sizes, counts)."""
    value = promise(endpoint, name)
    return None if value is None else int(value)


def bound(seconds: float) -> float:
    """The latest a promised ``seconds`` may be kept (see the module docstring)."""
    return seconds * 1.5 + 0.5


def fails_late(what: str, promised: str, took: str) -> CaseFailed:
    """The failure of a promise kept too late or never."""
    return CaseFailed([f"{what} within {promised}"], took)


def measured(what: str, *numbers: Measurement) -> Verdict:
    """An informational verdict carrying a measurement (the promise was not declared)."""
    verdict = Verdict.informational(f"{what} (no promise declared in the profile)")
    return dataclasses.replace(verdict, measurements=numbers)


def seconds(name: str, value: float | None) -> tuple[Measurement, ...]:
    """A time the case measured (``ping_period_s``, ``drop_s``), or () when nothing happened to time."""
    return () if value is None else (Measurement(name, value, "s"),)
