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

Every Autobahn|Testsuite server case of groups 1-7, 10, 12 and 13 is here once, with Autobahn's id and
the same stimulus; the rest covers what Autobahn never tests. Differences in judging, all toward RFC 6455
and RFC 7692:

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
