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

Every Autobahn|Testsuite server case of groups 1-7, 9 and 10 is here once, with Autobahn's id and the
same stimulus; the rest covers what Autobahn never tests. Differences in judging, all toward RFC 6455:

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
