"""The compiled-template cache saves time only: same pages with it, without it, and when it is damaged."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from conformance.reporting.templatecache import cache_folder, template_cache
from conformance.reporting.wireview import entry_view
from conformance.wire.transcript import Entry


def _env(cache: jinja2.BytecodeCache | None, folder: Path) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(folder))
    return jinja2.Environment(loader=loader, bytecode_cache=cache, autoescape=True)


def test_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "rtconform" / "templates"


def test_a_template_compiled_once_is_read_back_and_renders_the_same(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("<p>{{ x }}</p>")
    cache = template_cache(tmp_path / "cache")
    assert cache is not None
    first = _env(cache, tmp_path / "t").get_template("page.html").render(x="<b>")
    assert list((tmp_path / "cache").iterdir())  # the compiled code was kept
    again = _env(template_cache(tmp_path / "cache"), tmp_path / "t").get_template("page.html").render(x="<b>")
    assert first == again == _env(None, tmp_path / "t").get_template("page.html").render(x="<b>")
    (tmp_path / "t" / "page.html").write_text("<i>{{ x }}</i>")  # a changed source is compiled anew
    assert _env(template_cache(tmp_path / "cache"), tmp_path / "t").get_template("page.html").render(
        x="1") == "<i>1</i>"


def test_a_damaged_entry_is_compiled_again(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("{{ x }}!")
    _env(template_cache(tmp_path / "cache"), tmp_path / "t").get_template("page.html")
    for entry in (tmp_path / "cache").iterdir():
        entry.write_bytes(entry.read_bytes()[:40])  # magic and checksum intact, the code cut
    assert _env(template_cache(tmp_path / "cache"), tmp_path / "t").get_template("page.html").render(
        x=1) == "1!"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_open_to_others_or_unusable_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    assert template_cache(shared) is None  # others could plant code in it
    (tmp_path / "file").write_text("")
    assert template_cache(tmp_path / "file" / "sub") is None  # cannot be made
    (tmp_path / "link").symlink_to(tmp_path / "private", target_is_directory=True)
    (tmp_path / "private").mkdir(mode=0o700)
    assert template_cache(tmp_path / "link") is None


def test_the_page_of_passed_cases_computes_no_hex_it_does_not_show() -> None:
    entry = Entry(0.001, "rx", "bytes", "", b"x" * 40, 40)
    assert entry_view(entry).hex
    assert entry_view(entry, with_hex=False).hex == ()
    assert entry_view(entry, with_hex=False).cuts == entry_view(entry).cuts
