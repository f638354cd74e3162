"""The payloads of the compression cases (Autobahn 12.x/13.x): five corpora and Autobahn's message sizes.

Autobahn sends slices of five files it ships (a JSON file, a 512x512 bitmap, Goethe's Faust from Project
Gutenberg, an HTML page, a PDF). The runner does not ship those files; it generates five corpora of the
same kinds and sizes, deterministically (a seeded generator: every run sends the same bytes):

=====  =========  ===========  ====================================================================
group  kind       sent as      what it is like
=====  =========  ===========  ====================================================================
12.1   json       text         JSON records with words in several scripts (multi-byte UTF-8)
12.2   bitmap     binary       a BMP header and 512x512 8-bit pixels: smooth gradients with noise
12.3   prose      binary       German prose with umlauts, in lines (Autobahn sends Faust as binary)
12.4   html       text         nested HTML markup around prose, with entities and non-ASCII text
12.5   pdf        binary       PDF-like objects: dictionaries in text and incompressible streams
=====  =========  ===========  ====================================================================

As in Autobahn, a message is the next ``size`` units of the corpus read as a ring: code points for the
text corpora (a slice never splits a code point, and is sent as its UTF-8 bytes), bytes for the others.
"""

from __future__ import annotations

import functools
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CORPORA", "MSG_SIZES", "WAIT_SECONDS", "Corpus", "Ring"]

#: Autobahn's (payload size, auto-fragment size) for x.1 to x.18: ten unfragmented sizes, five sizes in
#: 256-byte frames, and 131072 bytes in frames of 1024, 4096 and 32768 bytes.
MSG_SIZES: tuple[tuple[int, int], ...] = (
    (16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0), (32768, 0), (65536, 0),
    (131072, 0), (8192, 256), (16384, 256), (32768, 256), (65536, 256), (131072, 256), (131072, 1024),
    (131072, 4096), (131072, 32768),
)  # fmt: skip
#: Autobahn's case timeout (seconds) for each of x.1 to x.18, in the same order.
WAIT_SECONDS: tuple[float, ...] = (60, 60, 120, 240, 480, 480, 480, 480, 480, 480, 480, 480, 480, 480, 480,
                                   480, 480, 480)

_WORDS_DE = ("und", "der", "die", "das", "Faust", "Gretchen", "Mephistopheles", "Geist", "Nacht", "über",
             "für", "schön", "Mädchen", "Grüße", "Träume", "Wald", "Himmel", "Erde", "Wissenschaft", "weiß",
             "müssen", "hätte", "Straße", "Herz", "Seele", "ewig", "nicht", "ich", "du", "wir", "Zeit")
_WORDS_MIXED = ("alpha", "beta", "gamma", "naïve", "café", "日本語", "Ελληνικά", "русский", "العربية", "中文",
                "emoji-🎉", "value", "status", "ok", "pending", "Grüße", "smörgåsbord", "piñata", "ñandú")


@dataclass(frozen=True)
class Corpus:
    """One corpus: its name, whether it is sent as binary, and how to build its content."""

    name: str
    binary: bool
    size: int
    seed: int

    @functools.cached_property
    def content(self) -> str | bytes:
        """The corpus: a str for text corpora (sliced by code points), bytes for binary ones."""
        rng = random.Random(self.seed)
        builders: dict[str, Callable[[random.Random, int], str | bytes]] = {
            "json": _json, "bitmap": _bitmap, "prose": _prose, "html": _html, "pdf": _pdf}
        return builders[self.name](rng, self.size)

    def ring(self) -> Ring:
        """A fresh reader of ``size``-unit slices from the start of the corpus."""
        return Ring(self.content)


class Ring:
    """Autobahn's ring pointer over a corpus: each slice starts where the last one ended, wrapping around."""

    def __init__(self, content: str | bytes) -> None:
        self.content = content
        self.pos = 0

    def next(self, size: int) -> bytes:
        """The next ``size`` units as the bytes to send (UTF-8 for a text corpus)."""
        content, n = self.content, len(self.content)
        parts = []
        need = size
        while need:
            take = min(need, n - self.pos)
            parts.append(content[self.pos:self.pos + take])
            self.pos = (self.pos + take) % n
            need -= take
        if isinstance(content, str):
            return "".join(parts).encode()  # type: ignore[arg-type]
        return b"".join(parts)  # type: ignore[arg-type]


def _json(rng: random.Random, size: int) -> str:
    out, total, n = ["["], 1, 0
    while total < size:
        words = " ".join(rng.choice(_WORDS_MIXED) for _ in range(rng.randint(3, 12)))
        tags = ", ".join(f'"{rng.choice(_WORDS_MIXED)}"' for _ in range(rng.randint(1, 4)))
        rec = (f'{"," if n else ""}\n  {{"id": {n}, "score": {rng.random():.6f}, "active": '
               f'{str(rng.random() < 0.5).lower()}, "name": "{words}", "tags": [{tags}]}}')
        out.append(rec)
        total += len(rec.encode())
        n += 1
    out.append("\n]\n")
    return "".join(out)


def _bitmap(rng: random.Random, size: int) -> bytes:
    side = 512
    pixels = bytearray(side * side)
    for y in range(side):
        row = y * side
        for x in range(side):
            pixels[row + x] = ((x * y) // 97 + (x ^ y) // 5 + rng.randint(0, 12)) & 0xFF
    palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
    data = header + info + palette + bytes(pixels)
    return data[:size] if len(data) >= size else data + bytes(size - len(data))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS_DE) for _ in range(rng.randint(4, 14))]
    return " ".join(words).capitalize() + rng.choice((".", ",", "!", "?", ";"))


def _prose(rng: random.Random, size: int) -> bytes:
    lines, total = [], 0
    while total < size:
        line = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3))) + "\r\n"
        lines.append(line)
        total += len(line.encode())
    return "".join(lines).encode()[:size]


def _html(rng: random.Random, size: int) -> str:
    out = ['<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Korpus</title></head><body>\n']
    total = 0
    while total < size:
        tag = rng.choice(("p", "div", "li", "span", "td"))
        cls = rng.choice(("intro", "content", "note", "item", "cell"))
        text = _sentence(rng).replace("ü", "&uuml;" if rng.random() < 0.3 else "ü")
        link = f'<a href="/p/{rng.randint(1, 999)}">{rng.choice(_WORDS_MIXED)}</a>'
        piece = f'<{tag} class="{cls}" id="n{total}">{text} {link}</{tag}>\n'
        out.append(piece)
        total += len(piece.encode())
    out.append("</body></html>\n")
    return "".join(out)


def _pdf(rng: random.Random, size: int) -> bytes:
    out, total, n = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"], 16, 1
    while total < size:
        if rng.random() < 0.6:
            text = " ".join(_sentence(rng) for _ in range(rng.randint(2, 8))).encode("latin-1", "replace")
            obj = b"%d 0 obj\n<< /Type /Page /Parent 2 0 R /Contents (%s) >>\nendobj\n" % (n, text)
        else:
            stream = rng.randbytes(rng.randint(200, 4000))
            obj = b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n" % (
                n, len(stream), stream)
        out.append(obj)
        total += len(obj)
        n += 1
    return b"".join(out)[:size]


#: the 12.x groups in Autobahn's order (12.1 json ... 12.5 pdf), with Autobahn's corpus sizes
CORPORA: tuple[Corpus, ...] = (
    Corpus("json", False, 194_056, 1201),
    Corpus("bitmap", True, 263_222, 1202),
    Corpus("prose", True, 222_218, 1203),
    Corpus("html", False, 263_647, 1204),
    Corpus("pdf", True, 1_042_328, 1205),
)
