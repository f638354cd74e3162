"""Render the Socket.IO catalog as the Markdown case list in docs/catalog-sio.md.

Regenerate with ``python -m conformance.catalog.sio.listing > docs/catalog-sio.md``; a test fails when
the committed file and the catalog differ.
"""

from __future__ import annotations

from collections import Counter

from conformance.registry import load

SIO = ("conformance.catalog.sio",)  # this catalog only
__all__ = ["render"]

HEADER = """# Socket.IO server catalog (Socket.IO protocol v5)

Generated from `conformance/catalog/sio/` by `python -m conformance.catalog.sio.listing`; do not edit.

Run it with `rtconform run --strict --target http://HOST:PORT/socket.io/ --profile connect-timeout=MS` (the
suite is recognised by a CONNECT to the main namespace over a polling session; `--suite sio` names it).
Without `--target` it runs against the embedded reference server, `python -m reference.servers sio
--ping-interval 1000 --ping-timeout 1000 --connect-timeout 2`.

**Sources.** The cited document is the socket.io-protocol README (protocol v5); quotes are its own words,
except in the Engine.IO group, whose cases quote the engine.io-protocol README (v4). Every test of the
protocol's test suite (`test-suite/test-suite.js`, 32 `it` blocks: 16 Engine.IO, 16 Socket.IO) is here; its
origin says which (`sio-suite #N`, N its order in the file). The gap cases SIO-1..5 cover what that suite
misses, and SIO-6 runs every Socket.IO case over HTTP long-polling as well as WebSocket (`-ws` / `-polling`
slugs; polling batches packets with `\\x1e` and carries attachments as base64 `b` packets). The issue's gap
list adds rooms with several clients (`room-*`: a broadcast reaches exactly the room's members of its
namespace, once each, not the sender; a socket that left is not reached) and maxPayload (npm
`maxHttpBufferSize`) enforced on Socket.IO packets (`max-payload-*`: a message of exactly `--profile
max-payload=BYTES` is served, one a byte longer refused; skipped when the limit is not declared; these
quote the engine.io-protocol README) and connection state recovery (`recovery-*`, only with `--profile
recovery-window=MS`: a client whose connection drops and that reconnects with its pid and offset gets its
sid back and each missed event once; skipped against the embedded server, whose recovery is off because
the offsets it adds to every event break the official suite's cases; `rtconform serve sio
--recovery-window 30` passes it).

**The testee** is the one of `docs/testee-contract.md`: the test suite's handlers (`auth`, `message` →
`message-back`, `message-with-ack`, `/custom`, unknown namespaces refused) plus `emit-with-ack`,
`disconnect-me`, the room events `join`, `leave` and `broadcast`, and the refusing namespace `/refused`.
Nothing is hard-wired: the ping settings come from the open packet; `--profile connect-timeout=MS` names
the server's connect timeout for the no-handshake cases (without it they wait 45 s, the npm server's
default, and are skipped if the case's time is shorter) and makes the invalid-handshake cases tell a close
for the bad packet from one by that timeout.

**The runner's client** (`conformance/wire/sio.py`) decodes strictly: an unknown type, an attachment count on
a non-binary packet, a namespace without its comma, a payload that is not JSON, a placeholder out of range, a
text packet while attachments are due, or more than 64 attachments (4 MiB) for one packet is a failure of the
case that received it; every event the target sends must carry a non-empty array and every ack an array
(the README's MUSTs), whatever case is running.

**Levels** are the keywords of the quoted sentences. MUST: the CONNECT answer, the ack with the same id,
closing on a first packet that is not CONNECT and on an event whose payload is not an array (and, in the
Engine.IO group, the engine.io README's MUSTs and SHOULDs). MAY: a second namespace on the session (SIO-4),
the main namespace after another was left (#25), an event the server sends with an ack id (SIO-1). STRICT,
which claims no requirement: what the README describes without a keyword (the CONNECT payload reaching the
namespace, binary events and a binary ack, a DISCONNECT sent by the server, the CONNECT_ERROR object) and
what only the test suite expects (closing on an unknown type, on letters in the ack id, on a missing
attachment, on a session that never connects; nothing but a ping after a DISCONNECT) and what only the
server API promises (rooms and connection state recovery: the README has neither; the maxPayload limit:
the engine.io README only tells the client to respect it). Everything but MUST
runs with `--strict`.

**Differences from the protocol's test suite**, all toward the README or toward verdicts that can fail:

* The Engine.IO half (#1-#16) connects the main namespace right after the open packet (as every Socket.IO
  client does), so a server's connect timeout does not end the heartbeat and close cases; the suite relied on
  its connectTimeout (1 s) being longer than three 300 ms pings. Its three upgrade tests end with a Socket.IO
  event over the upgraded WebSocket (the suite stopped after `5`, or only waited for a close), and #14 answers
  a ping before it opens the probe, so a ping cannot take the pending GET's noop.
* #21 and #25 send namespaces with their comma (`0/random,`, `1/custom,`), as the README's format writes
  them; the suite sent `40/random` and `41/custom`. #21 judges the CONNECT_ERROR (MUST); its payload's
  form is SIO-2's subject, and the npm server's words "Invalid namespace" are not required.
* #22 sends a CONNECT right after `abc`: a server that ignored the bad packet answers it, so the case cannot
  pass on a server whose connect timeout happens to close the session.
* #24 also fails when the ping that came is followed by the session's end.
* Payloads are compared as JSON values, not as strings, so a server's own JSON spacing is not judged.

Known deviations of real servers are in `conformance/expectations/socket.io-node.toml` and
`python-socketio.toml`, each with its reason; the MUST failures are explained below the cases.
"""

FOOTER = """
## MUST failures of real servers

Checked on 2 Dec 2026 with `tests/conformance/sio/test_sio_real_servers.py` (testees
`tests/fixtures/sio_node_server.js` and `sio_python_server.py`, pingInterval/pingTimeout 1 s,
`--profile connect-timeout=2000`).

**npm `socket.io` 4.8.4**: no MUST case fails; one STRICT case does
(`sio/engine-io/websocket-close-packet`: engine.io ignores a close packet on a WebSocket, as in the eio
catalog).

**python-socketio 5.18.1** (python-engineio 4.15.1) fails five MUST cases, each a real deviation:

* `sio/engine-io/polling-missing-transport-400`: `GET ?EIO=4` without `transport` opens a polling session;
  the engine.io README makes `transport` mandatory and a missing one "MUST respond with an HTTP 400".
* `sio/connection-to-a-namespace/invalid-handshake-closes-ws` and `-polling`: `abc` as the first packet is
  logged and ignored, and the CONNECT after it is answered; the README: "If the server does not receive a
  `CONNECT` packet first, then it MUST close the connection immediately."
* `sio/sending-and-receiving-data/object-payload-closes-ws` and `-polling`: the event `2{}` is logged and
  ignored; the README: "The payload is mandatory and MUST be a non-empty array. If that's not the case, then
  the receiver MUST close the connection."

Both Socket.IO deviations have one cause: python-engineio runs the Socket.IO layer's message handler inside
a catch-all that logs the exception, so whatever the Socket.IO parser rejects leaves the session open. The
same explains its STRICT failures (unknown type, letters in the ack id; a text packet where an attachment is
due is even taken as the attachment). Among its other STRICT failures: an unknown namespace is refused with
the v4-style string payload `"Unable to connect"` (SIO-2), and it has no connect timeout (#23).
"""


def render() -> str:
    """The whole Markdown document."""
    cases = list(load(SIO).cases)
    levels = Counter(c.level.value for c in cases)
    ported = {c.origin.split(" ")[0] + " " + c.origin.split(" ")[1] for c in cases
              if c.origin and c.origin.startswith("sio-suite #")}
    counts = ", ".join(f"{n} {k}" for k, n in levels.items())
    summary = (f"{len(cases)} cases ({counts}); they port all {len(ported)} tests of the protocol test "
               f"suite, the Socket.IO ones over both transports.")
    lines = [HEADER, "## Counts", "", summary, "", "## Cases"]
    title = None
    for case in cases:
        if case.group_title != title:
            title = case.group_title
            lines += ["", f"### {title}", "", "| id | level | origin | stimulus |",
                      "| --- | --- | --- | --- |"]
        desc = case.desc.replace("|", "\\|")
        lines.append(f"| `{case.id}` | {case.level.value} | {case.origin or ''} | {desc} |")
    return "\n".join(lines) + "\n" + FOOTER


if __name__ == "__main__":
    print(render(), end="")
