"""Render the Engine.IO catalog as the Markdown case list in docs/catalog-eio.md.

Regenerate with ``python -m conformance.catalog.eio.listing > docs/catalog-eio.md``; a test fails when
the committed file and the catalog differ.
"""

from __future__ import annotations

from collections import Counter

from conformance.registry import load

EIO = ("conformance.catalog.eio",)  # this catalog only
__all__ = ["render"]

HEADER = """# Engine.IO server catalog (Engine.IO protocol v4)

Generated from `conformance/catalog/eio/` by `python -m conformance.catalog.eio.listing`; do not edit.

Run it with `rtconform run --strict --target http://HOST:PORT/engine.io/` (the suite is recognised by a
polling handshake on the URL; `--suite eio` names it). Without `--target` it runs against the embedded
reference server, `python -m reference.servers eio --ping-interval 1000 --ping-timeout 1000`.

**Sources.** The cited document is the engine.io-protocol README (v4); quotes are its own words. Every
test of the protocol's test suite (`test-suite/test-suite.js`, 24 `it` blocks) is here once; its origin
says which (`eio-suite #N`, N its order in the file). The gap cases EIO-1..7 cover what that suite misses.

**The testee** is the test suite's server: Engine.IO on the URL's path, echoing every message, text or
binary. Nothing is hard-wired: the ping settings come from the open packet, and `--profile
ping-interval=MS`, `ping-timeout=MS`, `max-payload=BYTES` make the handshake cases check that the open
packet says what the target promises. Heartbeat waits are the target's own pingInterval/pingTimeout plus
1 s; a target whose heartbeat does not fit the case's time (100 s) is skipped with the time it needs.

**Levels.** MUST only where the README says MUST. What the README only describes (the heartbeat, the close
packet, messages over WebSocket) or what the reference server does beyond it (400 for `EIO=abc`, `PUT`,
`EIO=3`, a closed session after an invalid packet, maxPayload enforced) is STRICT: it runs with
`--strict`. The held GET (EIO-7) is the README's MAY; the binary Content-Type (EIO-4) is recorded only.

**Differences from the protocol's test suite**, all toward the README:

* #6 / #7 (WebSocket without EIO / transport) never awaited the close they waited for, so they asserted
  nothing: here the handshake must be refused, or the WebSocket closed before any open packet.
* #12 (duplicate GET) accepted 500 for the second GET; the README says 400, and so does this case.
* #11 (invalid packet over polling) could not fail on the POST's answer (its assertion sat in a `try`):
  this case judges what it really judged, the session being closed afterwards.
* #15 and #21 (invalid packet, close packet over WebSocket) passed on any server with a heartbeat, since
  the suite's client never answered a ping; these cases answer pings while they wait for the close.
* #22 releases the GET that is pending when the probe arrives (the README's "any pending GET") and sends
  `5` only once it is answered, as a client pausing its polling does; the suite sent a new GET after the
  probe. #23 and #24 wait for `3probe` before `5`.
* #2-#4 are split: the README's missing parameters (MUST) and the suite's invalid values (STRICT).

Known deviations of real servers are in `conformance/expectations/engine.io-node.toml` and
`python-engineio.toml`, each with its reason.
"""


def render() -> str:
    """The whole Markdown document."""
    cases = list(load(EIO).cases)
    levels = Counter(c.level.value for c in cases)
    suite = sum(1 for c in cases if c.origin and c.origin.startswith("eio-suite #") and "(" not in c.origin)
    counts = ", ".join(f"{n} {k}" for k, n in levels.items())
    summary = f"{len(cases)} cases ({counts}); {suite} port the protocol test suite's 24 tests."
    lines = [HEADER, "## Counts", "", summary, "", "## Cases"]
    title = None
    for case in cases:
        if case.group_title != title:
            title = case.group_title
            lines += ["", f"### {title}", "", "| id | level | origin | stimulus |",
                      "| --- | --- | --- | --- |"]
        desc = case.desc.replace("|", "\\|")
        lines.append(f"| `{case.id}` | {case.level.value} | {case.origin or ''} | {desc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
