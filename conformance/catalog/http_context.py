"""What an SSE or long-polling case receives, shared part: the target, its profile, and HTTP helpers.

Cases run concurrently against one target, and publishing reaches every subscriber, so each case works
on its own events: :meth:`HttpContext.token` gives a unique event type (SSE) or data prefix (polls), and
verifiers ignore everything else. Helpers never sleep a fixed time: they wait for bytes, bounded by the
case deadline (every :class:`~conformance.wire.httpclient.HttpExchange` they open carries it). Waits end a
little before it (:meth:`CaseEnv.wait_deadline`), so a case that waited in vain still says what it waited for
("message lost: ...") instead of being cut off by the runner's timeout. The SSE
catalog's :class:`~conformance.catalog.sse.context.SseContext` and the poll catalog's
:class:`~conformance.catalog.poll.context.PollContext` build on it; :class:`HttpSuite` builds either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from urllib.parse import quote

from conformance.model import Case, CaseFailed, Skip
from conformance.suites import CaseEnv
from conformance.wire.endpoint import ALL_SCHEMES, Endpoint, parse_url
from conformance.wire.http import HttpResponse, build_http_request, split_resource
from conformance.wire.httpclient import HttpExchange
from conformance.wire.httpread import MAX_BODY_KEPT

__all__ = ["HttpContext", "HttpSuite"]



class HttpContext:
    """Shared by SSE and long-polling cases.

    Attributes:
        endpoint: the stream or poll URL's endpoint (with the user's headers and profile).
        deadline: ``loop.time()`` at which the case's time is up.
    """

    def __init__(self, endpoint: Endpoint, env: CaseEnv) -> None:
        self.endpoint = endpoint
        self.deadline = env.deadline
        #: when waits give up, leaving time for the verdict before the runner's timeout
        self.wait_deadline = env.wait_deadline(asyncio.get_running_loop().time())
        self.transcript = env.transcript
        #: reads the target's memory in bytes (blocking), where the runner samples its resources (a started
        #: target: ``--cmd``, Docker, the embedded references); None for a target at a URL. Cases record
        #: it with :class:`conformance.resources.Curve`.
        self.memory = env.memory
        self._exchanges: list[HttpExchange] = []

    # -- profile -------------------------------------------------------------------------------------

    def number(self, name: str, default: float | None = None) -> float | None:
        """A numeric profile value (``--profile name=...``), or ``default``."""
        text = self.endpoint.option(name)
        try:
            return float(text) if text not in (None, "") else default
        except ValueError:
            raise CaseFailed([f"a number for --profile {name}"], f"{text!r}") from None

    def publish_endpoint(self) -> Endpoint:
        """Where to publish: ``--publish-url``, else ``/publish`` on the same origin.

        Raises:
            Skip: the profile says the target has no publish URL (``publish-url=none``).
        """
        url = self.endpoint.option("publish-url")
        if url is not None and url.lower() in ("", "none"):
            raise Skip("the target has no publish url (--publish-url none)")
        if url is None:
            return self.endpoint.with_options(resource="/publish")
        return parse_url(url, ALL_SCHEMES).with_options(headers=self.endpoint.headers,
                                                        ca_file=self.endpoint.ca_file,
                                                        insecure=self.endpoint.insecure)

    @staticmethod
    def token() -> str:
        """A fresh marker only this case uses (an event type, a data prefix)."""
        return "rt" + secrets.token_hex(6)

    def left(self, cap: float | None = None) -> float:
        """Seconds the case may still wait (at most ``cap``): until shortly before its deadline."""
        left = max(0.0, self.wait_deadline - asyncio.get_running_loop().time())
        return left if cap is None else min(cap, left)

    # -- requests ------------------------------------------------------------------------------------

    def _headers(self, extra: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return (*self.endpoint.headers, *extra)

    async def exchange(self, method: str = "GET", resource: str | None = None, *,
                       headers: Sequence[tuple[str, str]] = (), body: bytes = b"",
                       endpoint: Endpoint | None = None, chop: int | None = None,
                       rcvbuf: int | None = None, wait_head: bool = True,
                       head_timeout: float | None = None) -> HttpExchange:
        """Send one request on a new connection (and wait for the response head unless ``wait_head`` is
        false); the body is read in the background."""
        ep = endpoint or self.endpoint
        request = build_http_request(method, resource or ep.resource, ep.host_header,
                                     self._headers(headers), body)
        ex = HttpExchange(ep, self.transcript, deadline=self.deadline)
        self._exchanges.append(ex)
        wait = self.left(head_timeout)
        try:
            await ex.send(request, chop, rcvbuf, wait_head=wait_head, head_timeout=wait)
        except ConnectionError as exc:
            if not ex.sent_at:  # refused or reset before the request was out: the target is unreachable
                raise
            raise CaseFailed(["a response"], f"{method} {resource or ep.resource}: {exc}") from None
        except (asyncio.TimeoutError, TimeoutError):
            ex.close()
            if wait >= self.left():
                raise
            raise CaseFailed(["a response"], f"{method} {resource or ep.resource}: no response head in "
                                             f"{wait:.1f} s") from None
        return ex

    async def request(self, method: str = "GET", resource: str | None = None, *,
                      headers: Sequence[tuple[str, str]] = (), body: bytes = b"",
                      endpoint: Endpoint | None = None, timeout: float | None = None,
                      chop: int | None = None) -> tuple[HttpResponse, bytes]:
        """A whole request and response (``Connection: close``); CaseFailed if the body does not end."""
        ex = await self.exchange(method, resource, headers=(*headers, ("Connection", "close")), body=body,
                                 endpoint=endpoint, chop=chop, head_timeout=timeout)
        if not await ex.wait_done(self.left(timeout)):
            raise CaseFailed(["a complete response"], f"{method} {resource}: the body did not end in time")
        ex.close()
        if ex.truncated:
            raise CaseFailed([f"a body the runner can keep (at most {MAX_BODY_KEPT} bytes)"],
                             f"{method} {resource}: {ex.body_size} bytes")
        assert ex.response is not None
        return ex.response, ex.body

    async def publish(self, data: str | bytes, event: str | None = None) -> str | None:
        """``POST`` the publish URL; returns the id if the answer names one.

        Raises:
            Skip: no publish URL.
            CaseFailed: the target did not answer 2xx.
        """
        ep = self.publish_endpoint()
        path, query = split_resource(ep.resource)
        if event is not None:
            query = f"{query}&event={quote(event)}" if query else f"event={quote(event)}"
        resource = f"{path}?{query}" if query else path
        body = data.encode("utf-8") if isinstance(data, str) else data
        response, answer = await self.request(
            "POST", resource, headers=[("Content-Type", "text/plain; charset=utf-8")], body=body, endpoint=ep,
            timeout=3.0)
        if not 200 <= response.status < 300:
            status = f"{response.status} {response.reason}"
            raise CaseFailed(["publish answered 2xx"], f"POST {resource}: {status}")
        with contextlib.suppress(ValueError, AttributeError, UnicodeDecodeError):
            value = json.loads(answer.decode()).get("id")
            return None if value is None else str(value)
        return None

    def release(self) -> None:
        """Close every connection the case opened and drop what they kept."""
        for ex in self._exchanges:
            ex.release()


class HttpSuite:
    """Builds a context of class ``kind`` on the case's endpoint; closes its connections afterwards.

    A suite's ``context`` is the bound method: ``Suite(context=HttpSuite(SseContext).context, ...)``.
    """

    def __init__(self, kind: type[HttpContext]) -> None:
        self.kind = kind

    @contextlib.asynccontextmanager
    async def context(self, case: Case, env: CaseEnv) -> AsyncIterator[HttpContext]:
        """Yield a fresh context for ``case``."""
        ctx = self.kind(env.endpoint, env)
        try:
            yield ctx
        finally:
            ctx.release()
