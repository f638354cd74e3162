"""CORS for cross-origin EventSource (WHATWG HTML §9.2.2, WHATWG Fetch §3.2 "CORS protocol")."""

from __future__ import annotations

from conformance.catalog.sse.context import SseContext
from conformance.model import STRICT, CaseFailed, Verdict, group

G = group("sse", "cors", "Cross-origin streams")

ORIGIN = "http://other.example"


@G.case("allow-origin", level=STRICT,
        desc=f"GET the stream with Origin: {ORIGIN}",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): for pages "
                    "of other origins the server answers with Access-Control-Allow-Origin: the origin"
                    " or '*' (the Fetch CORS check is the browser's; a server may serve its own "
                    "origin only).",
        quote="Let origin be the result of getting `Access-Control-Allow-Origin` from response's header "
              "list. If origin is null, then return failure. (Fetch, CORS check)")
async def allow_origin(ctx: SseContext) -> Verdict:
    sub = await ctx.subscribe([("Origin", ORIGIN)])
    assert sub.exchange.response is not None
    acao = sub.exchange.response.header("access-control-allow-origin")
    if acao not in (ORIGIN, "*"):
        raise CaseFailed([f"access-control-allow-origin {ORIGIN} or *"],
                         f"access-control-allow-origin {acao!r}")
    return Verdict(actual=f"access-control-allow-origin {acao}")


@G.case("preflight-last-event-id", level=STRICT,
        desc="OPTIONS preflight asking for GET with the last-event-id header",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): for pages "
                    "of other origins the preflight succeeds (2xx) and allows the Last-Event-ID "
                    "header: a long or non-ASCII id makes browsers send one.",
        quote="Let headerNames be the result of extracting header list values given "
              "`Access-Control-Allow-Headers` and response's header list. (Fetch, CORS-preflight fetch)")
async def preflight_last_event_id(ctx: SseContext) -> Verdict:
    response, _ = await ctx.request("OPTIONS", headers=[
        ("Origin", ORIGIN), ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "last-event-id")], timeout=5.0)
    allowed = response.tokens("access-control-allow-headers")
    acao = response.header("access-control-allow-origin")
    if not 200 <= response.status < 300 or not ({"last-event-id", "*"} & set(allowed)) or \
            acao not in (ORIGIN, "*"):
        raise CaseFailed(["2xx allowing last-event-id for the origin"],
                         f"{response.status}, allow-headers {allowed}, allow-origin {acao!r}")
    return Verdict(actual=f"{response.status}, allow-headers {', '.join(allowed)}")


@G.case("credentials-echo-origin", level=STRICT,
        desc=f"GET the stream with Origin: {ORIGIN}; checks it would work withCredentials",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): for `new "
                    "EventSource(url, {withCredentials: true})` the server echoes the origin and "
                    "sends Access-Control-Allow-Credentials: true; `*` without credentials is correct"
                    " for a public stream.",
        quote="Let credentials be the result of getting `Access-Control-Allow-Credentials` from response's "
              "header list. If credentials is `true`, then return success. (Fetch, CORS check)")
async def credentials_echo_origin(ctx: SseContext) -> Verdict:
    sub = await ctx.subscribe([("Origin", ORIGIN)])
    assert sub.exchange.response is not None
    r = sub.exchange.response
    acao, acac = r.header("access-control-allow-origin"), r.header("access-control-allow-credentials")
    if acao != ORIGIN or (acac or "").lower() != "true":
        raise CaseFailed([f"allow-origin {ORIGIN} and allow-credentials true"],
                         f"allow-origin {acao!r}, allow-credentials {acac!r}")
    return Verdict(actual="origin echoed with credentials allowed")
