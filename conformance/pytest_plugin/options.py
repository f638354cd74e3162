"""The plugin's command-line options, and turning them into the run's :class:`~conformance.app.RunOptions`.

The options mirror ``rtconform run``'s with an ``--rtconform-`` prefix; their values mean the same and
are checked the same way (a bad one is a pytest usage error, one line). Only ``--rtconform-target`` makes
the plugin do anything: :func:`add_options` is all that runs in a pytest session without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.app import RunOptions

__all__ = ["MARKERS", "TARGET", "add_options", "run_options"]

#: The option that switches the plugin on.
TARGET = "rtconform_target"

#: The markers the plugin sets, with what they mean (registered in every session). Written out rather
#: than derived from :class:`conformance.model.Level`, whose import costs a session without the option
#: ~0.1 s (tests/pytestplugin checks that the two agree).
MARKERS = {
    "rtconform": "an rtconform conformance case (--rtconform-target)",
    "rtconform_must": "an rtconform case of level MUST",
    "rtconform_should": "an rtconform case of level SHOULD",
    "rtconform_may": "an rtconform case of level MAY",
    "rtconform_strict": "an rtconform case of level STRICT (not an RFC requirement)",
    "rtconform_exclusive": "an rtconform case that measures the whole target (runs with nothing else)",
}


def add_options(parser: pytest.Parser) -> None:
    """Add the ``--rtconform-*`` options (group "rtconform")."""
    g = parser.getgroup("rtconform", "rtconform conformance cases as pytest items")
    g.addoption("--rtconform-target", dest=TARGET, metavar="URL", default=None,
                help="run rtconform's cases against this ws://, wss://, http:// or https:// server, one "
                     "pytest item per case (without it the plugin does nothing)")
    g.addoption("--rtconform-suite", action="append", default=[], metavar="SPEC",
                help="the suite (ws, sse, poll); repeatable; default: the one the URL and a probe point at")
    g.addoption("--rtconform-case", action="append", default=[], metavar="SEL",
                help="collect only cases matching SEL (rtconform run --case: an ID prefix, a glob or an "
                     "Autobahn id); repeatable. -k selects among the collected ones")
    g.addoption("--rtconform-strict", action="store_true", default=False,
                help="also SHOULD, MAY and STRICT cases, and gate on SHOULD and STRICT (rtconform --strict)")
    g.addoption("--rtconform-fail-on", choices=("must", "should", "strict"), default=None,
                help="the lowest level whose failures fail their item; failures below it are xfailed "
                     "(default: strict with --rtconform-strict, else must)")
    g.addoption("--rtconform-expect", metavar="FILE", default=None,
                help="known deviations (rtconform's expectations TOML): listed cases become strict xfails "
                     "with the file's reason")
    g.addoption("--rtconform-profile", action="append", default=[], metavar="NAME=VALUE",
                help="what the target promises, e.g. heartbeat-interval=15; repeatable")
    g.addoption("--rtconform-header", action="append", default=[], metavar="'NAME: VALUE'",
                help="extra handshake header; repeatable")
    g.addoption("--rtconform-timeout", type=float, default=5.0, metavar="S",
                help="the timeout of a case that sets none, seconds (5)")
    g.addoption("--rtconform-jobs", type=int, default=None, metavar="N",
                help="cases run at once (default: rtconform run's, 8 per CPU, at most 32)")


def _pairs(values: list[str], sep: str, what: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for text in values:
        name, found, value = text.partition(sep)
        if not found or not name.strip() or name != name.strip():
            raise pytest.UsageError(f"{what} must be {'NAME=VALUE' if sep == '=' else 'Name: value'}, "
                                    f"not {text!r}")
        pairs.append((name, value.strip() if sep == ":" else value))
    return tuple(pairs)


def run_options(config: pytest.Config) -> RunOptions:
    """``rtconform run``'s options for what the ``--rtconform-*`` options ask (reports: none; pytest
    reports). Raises :class:`pytest.UsageError` with one line for a bad value."""
    from conformance.app import RunOptions
    from conformance.runner import RunSettings, default_jobs
    from conformance.targets import TargetSpec
    from conformance.wire.endpoint import ALL_SCHEMES, ConnectOptions, parse_address

    opt = config.option
    expect = opt.rtconform_expect
    try:
        address = parse_address(getattr(opt, TARGET), ALL_SCHEMES)
        settings = RunSettings(jobs=opt.rtconform_jobs or default_jobs(), timeout=opt.rtconform_timeout)
    except ValueError as exc:
        raise pytest.UsageError(f"rtconform: {exc}") from None
    if expect is not None and not Path(expect).is_file():
        raise pytest.UsageError(f"rtconform: --rtconform-expect file not found: {expect!r}")
    connect = ConnectOptions(headers=_pairs(opt.rtconform_header, ":", "--rtconform-header"),
                             profile=_pairs(opt.rtconform_profile, "=", "--rtconform-profile"))
    return RunOptions(target=TargetSpec(address=address), connect=connect,
                      include=tuple(opt.rtconform_case), suites=tuple(opt.rtconform_suite),
                      strict=opt.rtconform_strict, settings=settings, fail_on=opt.rtconform_fail_on,
                      report_dir=None, quiet=True, expect=Path(expect) if expect else None)
