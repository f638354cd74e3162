"""A browser as the client under test: headless Chromium runs a small driver page per case.

:class:`BrowserLauncher` starts one headless Chromium for the run (a fresh profile, DevTools on a port of its
choosing) and a page server on 127.0.0.1. Its :meth:`~BrowserLauncher.launch` is a
:data:`~conformance.clients.process.Launch`: for each case URL it opens a tab on the suite's driver page
(``/wsclient/<token>``: the browser's ``WebSocket`` echoing every message; ``/sseclient/<token>``: its
``EventSource`` printing every event as a JSON line), and closes the tab when the case ends. The page reports
back over HTTP: ``POST /line/<token>`` is a line of output, ``POST /exit/<token>`` with a status says it is
done (a WebSocket closed; an EventSource given up). Tabs are opened and closed through DevTools' HTTP
endpoints (``/json/new``, ``/json/close``), so no DevTools WebSocket client is needed.

The page comes from 127.0.0.1, not ``about:blank``: Chromium's local network access checks block a page
without an address from reaching the loopback servers under test. Everything the page posts is bounded as a
command's stdout is (:data:`~conformance.clients.process.MAX_LINE` per line,
:data:`~conformance.clients.process.MAX_OUTPUT` in all).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlsplit

from conformance.clients.process import CUT_MARK, MAX_LINE, MAX_OUTPUT, MAX_STDERR, ClientProcess, LaunchError

__all__ = ["DRIVER_PAGES", "BrowserLauncher", "chromium_path"]

#: Flags for a headless Chromium that makes no background requests (closed networks refuse them).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--remote-debugging-port=0",
)
#: Seconds Chromium may take to open its DevTools endpoint.
START_TIMEOUT = 30.0
#: Largest request the page server reads (a line of output and its headers).
MAX_REQUEST = MAX_LINE + 8192

_POST = """
// the page is /<suite>/<token>?<the case URL, percent-encoded>: no "&", which DevTools' /json/new would cut
const token = location.pathname.split("/").pop();
// DevTools may decode the page URL on its way in, which moves the case URL's "#..." into the page's own
// fragment: the case URL is the query and the fragment together
const caseUrl = decodeURIComponent(location.search.slice(1) + location.hash);
let chain = Promise.resolve();
function post(kind, body) {  // in order: a line is never overtaken by the exit
  chain = chain.then(() => fetch("/" + kind + "/" + token, {method: "POST", body: String(body)}))
               .catch(() => {});
}
"""

WS_PAGE = (
    """<!doctype html><meta charset="utf-8"><title>rtconform wsclient driver</title><script>"""
    + _POST
    + """
let ws;
try {
  ws = new WebSocket(caseUrl);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => ws.send(e.data);  // the echo contract
  ws.onclose = (e) => { post("line", "close " + e.code + (e.wasClean ? " clean" : "")); post("exit", 0); };
} catch (e) {
  post("line", "error " + e); post("exit", 1);
}
</script>"""
)

SSE_PAGE = (
    """<!doctype html><meta charset="utf-8"><title>rtconform sseclient driver</title><script>"""
    + _POST
    + """
const target = new URL(caseUrl);
// event types besides "message" come in the URL's fragment (never sent to the server): #types=a,b
const types = new URLSearchParams(target.hash.slice(1)).get("types");
target.hash = "";
const es = new EventSource(target.href);
const show = (e) => post("line", JSON.stringify({type: e.type, data: e.data, lastEventId: e.lastEventId}));
for (const t of ["message", ...(types ? types.split(",") : [])]) es.addEventListener(t, show);
es.onerror = () => { if (es.readyState === EventSource.CLOSED) post("exit", 0); };
</script>"""
)

#: The driver page of each client suite.
DRIVER_PAGES = {"wsclient": WS_PAGE, "sseclient": SSE_PAGE}


def chromium_path() -> str | None:
    """The Chromium executable on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@dataclass
class _PageRun:
    """One tab's run, as a :class:`ClientProcess`: the lines it posted, and its exit."""

    lines: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    kept: int = 0
    status: int | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False
    notes: str = ""

    def post_line(self, raw: bytes) -> None:
        line = raw[:MAX_LINE] + CUT_MARK if len(raw) > MAX_LINE else raw
        if self.status is None and self.kept + len(line) <= MAX_OUTPUT:
            self.kept += len(line)
            self.lines.put_nowait(line)

    def post_exit(self, status: int) -> None:
        if self.status is None:
            self.status = status
            self.lines.put_nowait(None)
            self.exited.set()

    async def readline(self, timeout: float) -> bytes | None:
        if self.ended:
            return None
        try:
            line = await asyncio.wait_for(self.lines.get(), max(timeout, 0.0))
        except asyncio.TimeoutError:
            return None
        if line is None:
            self.ended = True
        return line

    async def wait(self, timeout: float) -> int | None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.exited.wait(), max(timeout, 0.0))
        return self.status

    def stderr_tail(self) -> str:
        return self.notes[-MAX_STDERR:]


class BrowserLauncher:
    """Headless Chromium and the driver page server for one run (``async with``); :meth:`launch` is the
    run's :data:`~conformance.clients.process.Launch`.

    Raises (on entering):
        LaunchError: no Chromium, no driver page for ``suite``, or Chromium did not start.
    """

    def __init__(self, suite: str, executable: str | None = None) -> None:
        if suite not in DRIVER_PAGES:
            raise LaunchError(f"no browser driver page for the {suite} suite")
        self.suite = suite
        self.executable = executable or chromium_path()
        self._runs: dict[str, _PageRun] = {}
        self._server: asyncio.base_events.Server | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self.page_port = 0
        self.devtools_port = 0

    async def __aenter__(self) -> BrowserLauncher:
        if self.executable is None:
            raise LaunchError(
                "chromium is not installed (looked for chromium, chromium-browser, google-chrome)"
            )
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.page_port = self._server.sockets[0].getsockname()[1]
        self._profile = tempfile.TemporaryDirectory(prefix="rtconform-chromium-", ignore_cleanup_errors=True)
        try:
            self._process = await asyncio.create_subprocess_exec(
                self.executable,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                "about:blank",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=sys.platform != "win32",
            )
            self.devtools_port = await self._devtools_port(Path(self._profile.name) / "DevToolsActivePort")
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _devtools_port(self, port_file: Path) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        assert self._process is not None
        while loop.time() < deadline and self._process.returncode is None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(port_file.read_text().split()[0])
            await asyncio.sleep(0.05)
        raise LaunchError(f"chromium did not open its DevTools endpoint within {START_TIMEOUT:g}s")

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(
                    self._process.pid, signal.SIGTERM
                ) if sys.platform != "win32" else self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 5.0)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(
                        self._process.pid, signal.SIGKILL
                    ) if sys.platform != "win32" else self._process.kill()
                await self._process.wait()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        if self._profile is not None:
            self._profile.cleanup()

    # -- tabs ---------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def launch(self, url: str) -> AsyncIterator[ClientProcess]:
        """Open a tab on the driver page for ``url``; close it on exit."""
        token = secrets.token_hex(8)
        run = _PageRun()
        self._runs[token] = run
        page = f"http://127.0.0.1:{self.page_port}/{self.suite}/{token}?{quote(url, safe='')}"
        target = ""
        try:
            answer = await self._devtools("PUT", f"/json/new?{page}")
            target = str(json.loads(answer).get("id", ""))
            if not target:
                raise LaunchError(f"chromium opened no tab: {answer[:200]!r}")
            yield run
        finally:
            if target:
                with contextlib.suppress(OSError, asyncio.TimeoutError, LaunchError):
                    await self._devtools("GET", f"/json/close/{target}")
            self._runs.pop(token, None)

    async def _devtools(self, method: str, path: str) -> bytes:
        """One request to Chromium's DevTools HTTP endpoint; the body of its answer."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.devtools_port), 5.0
            )
        except (OSError, asyncio.TimeoutError) as exc:
            raise LaunchError(f"chromium's DevTools endpoint is gone: {exc}") from None
        try:
            writer.write(
                f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.devtools_port}\r\n"
                f"Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            body = await asyncio.wait_for(reader.readexactly(min(length, MAX_REQUEST)), 10.0)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            raise LaunchError(f"chromium's DevTools endpoint did not answer {method} {path[:40]}") from None
        finally:
            writer.close()
        if not head.startswith(b"HTTP/1.1 200"):
            raise LaunchError(f"chromium's DevTools endpoint answered {head[:60]!r}")
        return body

    # -- the page server ----------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
            method, path = head.split(b" ", 2)[:2]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            if not 0 <= length <= MAX_LINE:
                length = min(max(length, 0), MAX_LINE)
            body = await asyncio.wait_for(reader.readexactly(length), 10.0) if length else b""
            status, kind, answer = self._route(method.decode("latin-1"), path.decode("latin-1"), body)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(answer)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await asyncio.wait_for(writer.drain(), 10.0)
        except (
            OSError,
            ValueError,
            asyncio.TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()

    def _route(self, method: str, path: str, body: bytes) -> tuple[str, str, bytes]:
        parts = urlsplit(path)
        if method == "GET" and parts.path.startswith(f"/{self.suite}/"):
            return "200 OK", "text/html; charset=utf-8", DRIVER_PAGES[self.suite].encode()
        kind, _, token = parts.path.strip("/").partition("/")
        run = self._runs.get(token)
        if method != "POST" or run is None or kind not in ("line", "exit"):
            return "404 Not Found", "text/plain", b""
        if kind == "line":
            run.post_line(body)
        else:
            run.post_exit(int(body) if body.strip().lstrip(b"-").isdigit() else 1)
        return "200 OK", "text/plain", b""
