"""Parse report pages with the standard library's HTML parser: the elements, attributes and text a browser
would build, to assert that target data stayed text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Page", "scan"]

#: Our own markup never uses these: finding one means markup from a target got through.
FOREIGN_TAGS = {"img", "iframe", "object", "embed", "svg", "math", "base", "form", "input", "style", "meta"}


@dataclass
class Page:
    """What the parser saw: (tag, attrs) of every start tag, the text, and ids."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]

    @property
    def ids(self) -> set[str]:
        return {str(a["id"]) for _, a in self.tags if a.get("id") is not None}

    def problems(self, allowed_meta: int = 4) -> list[str]:
        """Anything that would let markup from a target act: scripts other than report.js, event handler
        attributes, javascript: URLs, foreign elements."""
        found = []
        for tag, attrs in self.tags:
            if tag == "script" and attrs.get("src") not in ("report.js", "../report.js"):
                found.append(f"script {attrs}")
            found += [f"{tag} has {k}" for k in attrs if k.startswith("on")]
            urls = {k: v for k, v in attrs.items() if k in ("href", "src", "action") and v}
            found += [f"{tag} {k}={v!r}" for k, v in urls.items()
                      if str(v).strip().lower().startswith(("javascript:", "data:"))]
            own_sparkline = tag == "svg" and attrs.get("class") == "spark"  # the resources card's
            if tag in FOREIGN_TAGS - {"meta", "form", "input"} and not own_sparkline:
                found.append(f"foreign element {tag}")
        if len(self.all("meta")) > allowed_meta:
            found.append(f"{len(self.all('meta'))} meta elements")
        return found


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def scan(html: str) -> Page:
    """Parse ``html``."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    scanner.page.text = "".join(scanner.chunks)
    return scanner.page
