"""Render the WebSocket catalog as the Markdown case list in docs/catalog-ws.md.

Regenerate with ``python -m conformance.catalog.ws.listing > docs/catalog-ws.md``; a test fails when
the committed file and the catalog differ.
"""

from __future__ import annotations

from collections import Counter

from conformance.model import Case
from conformance.registry import load

WS = ("conformance.catalog.ws",)  # this catalog only: other catalogs are not ours to break on
__all__ = ["render"]

HEADER = """# WebSocket server catalog (RFC 6455)

Generated from `conformance/catalog/ws/` by `python -m conformance.catalog.ws.listing`; do not edit.

Every Autobahn|Testsuite server case of groups 1-7, 9, 10, 12 and 13 is here once, with Autobahn's id
and the same stimulus; the rest covers what Autobahn never tests. Differences in judging, all toward
RFC 6455 and RFC 7692:

* **2.10 / 2.11**: a pong for only the most recent of several pings is allowed (§5.5.3): informational,
  not failed.
* **6.4.x fail-fast** is split: the MUST cases (Autobahn ids) pass when the server fails with 1007 at any
  point after the invalid octets; the `utf8-fail-fast-*` STRICT cases (Autobahn's preference, no RFC
  sentence) pass only when it fails before the message is complete. Autobahn's 1 s waits are 0.1 s / at
  most 0.5 s (the wait ends when the server fails).
* **Levels** are the keyword of the quoted sentence; **STRICT** marks what is stricter than RFC 6455
  (Autobahn's expectations beyond the RFC, the RFC's examples, measurements): run with `--strict`,
  gating only there (or with `--fail-on strict`).
* **Close codes**: a reply to a valid close with another code than the expected ones is non-strict
  (§5.5.1: the reply is a MUST, echoing the code is what an endpoint "typically" does; Autobahn fails
  it). 1012-1014 (IANA, not RFC 6455) are STRICT; 1015 is invalid on the wire (like 7.9.x).
* **Malformed close frames** (3.7, 7.3.2, 7.3.6, 7.5.1, 7.9.x, 1015): an empty close frame in reply is
  non-strict (§7.1.7: the status code is a SHOULD); Autobahn accepts it. A normal code (1000) fails.
* **2.7 / 2.8** (no reply to an unsolicited pong) are STRICT; in 2.9 a pong answering the unsolicited
  pong is non-strict (a pong MAY be sent unsolicited).
* **Every case** fails when a server frame is masked, has RSV bits, a non-minimal length, invalid UTF-8
  text, a close code that must not be on the wire (1005, 1006, 1015) or follows the server's close; a
  server that leaves TCP open after the closing handshake is non-strict (§7.1.1).
* **9.x (Limits and performance)** are STRICT measurements, run with `--strict`, one at a time after the
  other cases (exclusive): 9.1/9.2 one text/binary frame of 64 KiB-16 MiB, 9.3/9.4 4 MiB in fragments of
  64 octets-4 MiB, 9.5/9.6 1 MiB in TCP writes of 64-2048 octets, 9.7/9.8 1000 sequential messages of
  0-4096 octets. A case passes on an exact echo (type, every octet, order), which Autobahn does not check
  (it compares lengths only); a 1009 or any other refusal fails it (§10.4 allows size limits, hence
  STRICT). The round-trip time, MiB/s and, for 9.7/9.8, msg/s and latency p50/p99 are recorded next to
  the verdict (run.json `measurements`, the report's performance table, `--baseline` ratios), never
  judged. The runner reads at most 16 MiB per message here (8 MiB elsewhere).
* **3.1** sets RSV1 (Autobahn's "RSV = 1" sets the RSV3 bit: that is `rsv3-without-extension`);
  **3.6** sends a binary frame as Autobahn's bytes do (its text says ping: `rsv1-rsv2-ping`).
* **12.x / 13.x** (permessage-deflate, RFC 7692): the runner's own codec (zlib), Autobahn's offers, sizes
  and fragmentations; the five corpora are generated (same kinds and sizes as Autobahn's files, which are
  not shipped). Autobahn sends 1000 messages per case; the runner sends 2 to 16 (at most 256 KiB per
  case) unless `--profile deflate-messages=1000`. Echoes are inflated with the agreed parameters (a
  window past `server_max_window_bits`, or a reference to the previous message after
  `server_no_context_takeover`, does not inflate) and RSV1 is judged on every frame (RFC 7692 §6.1).
  A declined offer is UNIMPLEMENTED, as in Autobahn; an answer that leaves out an offered
  `server_max_window_bits` is non-strict (§7.1.2.1 describes it without a keyword; Autobahn accepts it);
  an answer no offer allows fails (Autobahn's client accepts any answer).
* **permessage-deflate beyond Autobahn** (`ws/rfc7692-*`, `ws/10.4/deflate-bomb`): offers the server
  must decline (§7), RSV1 on a control or continuation frame (§6.1), data that does not inflate,
  the sliding-window rules (§7.2.1, §7.2.2) and a decompression bomb one byte past the target's
  declared limit (`--profile max-message-size`; without it, informational). RSV1 without an agreed
  extension is Autobahn 3.x (`ws/5.2/rsv*`).

## Connection lifecycle (keepalive, dead peers, limits, slow and hostile peers)

`lifecycle_keepalive.py`, `lifecycle_limits.py`, `lifecycle_load.py` (issue 12). RFC 6455 sets no number
for any of these, so every case is **STRICT** and judges the target against what it *declares*
(`--profile NAME=VALUE`, or the shortcut `--NAME VALUE`); the engineering source is in each requirement.
A case whose promise is not declared still runs where it can and reports the measured number as
informational (keepalive period, time to drop a dead peer, what a slow handshake gets), or skips when
there is nothing to measure against (message and connection limits). A timed promise `t` is kept within
`1.5 t + 0.5 s`.

* `keepalive-interval`: seconds of silence after which it pings a peer (`keepalive-*`);
* `pong-timeout`: seconds it waits for the pong before dropping the peer (`keepalive-drops-*`); a pong
  whose data is not the ping's (unsolicited, §5.5.3) does not answer it (`unsolicited-pong-not-liveness`);
* `idle-timeout`: seconds without input after which it closes, with a close frame 1000/1001/1008
  (`idle-timeout-closes-silent-peer`);
* `handshake-timeout`: seconds a client has to complete its opening handshake (`dribbled-handshake-timeout`,
  `silent-connection-timeout`);
* `max-message-size`: largest message in bytes, all fragments: max is echoed (up to 8 MiB), max + 1 gets
  1009 whole, fragmented, or announced by one frame header (`*-limit-*`);
* `max-head-size`: largest request head in bytes: one field longer than it, or enough small fields to pass
  it, get 431 (`head-field-over-limit-431`, `many-header-fields-431`);
* `max-connections`: connections served at once: the next gets 503 (or 1013), a slot freed by a peer that
  vanished without a Close frame serves again (`max-connections-refused-then-freed`);
* `buffer-limit`: bytes it may buffer for a peer that never reads, default 64 MiB; the local kernel's
  largest TCP buffers are added (`non-reader-bounded`);
* `flood-messages`: messages the flood sends, default 20000 (`flood-order-intact`);
* `rate-limit`, `rate-burst`: messages per second one peer may send, and back to back (default: one
  second's worth): the burst is echoed, then a close 1008 (or 1013) within burst + rate x time, or the
  target throttles (`rate-limit-enforced`).

The half-open peer is made by the runner's in-process relay (`conformance/wire/relay.py`: it stops
forwarding without FIN or RST); the non-reading peer (`conformance/wire/nonreader.py`) uses 4 KiB
socket buffers and counts the bytes the target's kernel acknowledged before its window closed. The
backpressure, isolation, flood, rate, whole-message over-limit and max-connections cases are `exclusive`
(run alone); where the target's memory is sampled (local and Docker targets) they record its memory curve
as measurements (`rss_peak_mib`, `rss_growth_mib`, ...: the report's performance table), beside their
own numbers (keepalive period, time to drop a dead peer, bytes accepted, round trips, message rate), and
the non-reader case fails when the memory grows by more than `buffer-limit`. The embedded
reference server declares `handshake-timeout=2`, `max-message-size=16777216`, `max-connections=128`,
`max-head-size=16384`, `keepalive-interval=1`, `pong-timeout=3`, `rate-limit=2000` and
`rate-burst=20000`, so the run without `--target` runs these cases without `--strict` too (still STRICT:
they gate only with `--fail-on strict`); every lifecycle case is shown red on a broken variant in
`tests/mutation/test_lifecycle_can_fail.py`.
"""


def _counts(cases: list[Case]) -> str:
    rows = ["| Autobahn group | cases |", "| --- | ---: |"]
    groups = Counter(c.autobahn.split(".")[0] for c in cases if c.autobahn)
    rows += [f"| {g}.x | {n} |" for g, n in sorted(groups.items(), key=lambda kv: int(kv[0]))]
    rows.append(f"| **Autobahn, total** | **{sum(groups.values())}** |")
    extra = [c for c in cases if not c.autobahn]
    rows.append(f"| not in Autobahn | {len(extra)} |")
    levels = Counter(c.level.value for c in cases)
    rows.append(f"| **all cases** | **{len(cases)}** ({', '.join(f'{n} {k}' for k, n in levels.items())}) |")
    return "\n".join(rows)


def render() -> str:
    """The whole Markdown document."""
    cases = list(load(WS).cases)
    lines = [HEADER, "## Counts", "", _counts(cases), "", "## Cases"]
    title = None
    for case in cases:
        if case.group_title != title:
            title = case.group_title
            lines += ["", f"### {title}", "", "| id | level | Autobahn | stimulus |",
                      "| --- | --- | --- | --- |"]
        desc = case.desc.replace("|", "\\|")
        lines.append(f"| `{case.id}` | {case.level.value} | {case.autobahn or ''} | {desc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
