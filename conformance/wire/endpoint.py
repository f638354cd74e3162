"""Where and how to connect: a parsed target URL plus the user's connection options (protocol-neutral)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

__all__ = ["ALL_SCHEMES", "Endpoint", "parse_url"]

_DEFAULT_PORTS = {"ws": 80, "wss": 443, "http": 80, "https": 443}
_SECURE = frozenset({"wss", "https"})
#: Every scheme a target URL may have.
ALL_SCHEMES = frozenset(_DEFAULT_PORTS)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A target address and the options every connection to it uses.

    Attributes:
        url: the URL as given (or as built for a started target).
        scheme: "ws", "wss", "http" or "https".
        host: host name or IP address, without IPv6 brackets.
        port: TCP port.
        resource: path and query to request ("/" when the URL has none).
        headers: extra request headers (``--header``), in order.
        subprotocols: subprotocols to offer (``--subprotocol``).
        origin: the Origin header value (``--origin``), or None.
        ca_file: a CA bundle to verify the target's certificate (``--ca``).
        insecure: skip certificate verification (``--insecure``).
        profile: what the target promises, as (name, value) pairs (``--profile``, e.g. heartbeat-interval).
        suites: per-suite endpoints of a target serving several protocols (the embedded references).
    """

    url: str
    scheme: str
    host: str
    port: int
    resource: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    subprotocols: tuple[str, ...] = ()
    origin: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    profile: tuple[tuple[str, str], ...] = ()
    suites: tuple[tuple[str, Endpoint], ...] = ()

    def option(self, name: str, default: str | None = None) -> str | None:
        """A profile value by name (the last one given), or ``default``."""
        values = [v for n, v in self.profile if n == name]
        return values[-1] if values else default

    def for_suite(self, spec: str) -> Endpoint:
        """The endpoint to test ``spec`` cases on: its own one if the target has per-suite endpoints,
        with this endpoint's connection options; else this endpoint."""
        for name, endpoint in self.suites:
            if name == spec:
                return replace(endpoint, headers=self.headers, subprotocols=self.subprotocols,
                               origin=self.origin, ca_file=self.ca_file, insecure=self.insecure,
                               profile=endpoint.profile + self.profile)
        return self

    @property
    def secure(self) -> bool:
        """TLS is used (wss:// or https://)."""
        return self.scheme in _SECURE

    @property
    def host_header(self) -> str:
        """The Host header value: brackets around IPv6 literals, the port unless it is the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def name(self) -> str:
        """A file-system-safe name for reports: ``host_port``."""
        safe = "".join(c if c.isalnum() or c in "-." else "_" for c in self.host)
        return f"{safe}_{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The client TLS context for a secure endpoint, None otherwise."""
        if not self.secure:
            return None
        ctx = ssl.create_default_context(cafile=self.ca_file)
        if self.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def with_options(self, **changes: object) -> Endpoint:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def parse_url(url: str, schemes: frozenset[str] = frozenset({"ws", "wss"})) -> Endpoint:
    """Parse a target URL such as ``ws://127.0.0.1:9001/chat`` or ``wss://[::1]:8443``.

    Raises:
        ValueError: not a URL of one of ``schemes``, or a bad host or port (the message shows the URL).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid target url {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        wanted = ", ".join(f"{s}://" for s in sorted(schemes))
        raise ValueError(f"invalid target url {url!r}: the scheme must be {wanted}")
    if not parts.hostname:
        raise ValueError(f"invalid target url {url!r}: no host")
    if parts.fragment:
        raise ValueError(f"invalid target url {url!r}: a fragment is not allowed")
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(url=url, scheme=scheme, host=parts.hostname, port=port or _DEFAULT_PORTS[scheme],
                    resource=resource)
