"""Where and how to connect, protocol-neutral: an address, the user's options, and the two side by side.

* :class:`Address` is what a target gives: a parsed URL, the per-suite addresses of a target serving
  several protocols (the embedded reference servers), and the profile the target itself promises.
* :class:`ConnectOptions` is what the user asked for: extra headers, subprotocols, Origin, TLS trust, and
  ``--profile`` pairs. The CLI builds it once.
* :class:`Endpoint` is what a client connects with: one address and the options. :func:`join` is the
  one place a case's endpoint is made from the two.

Profile precedence: an endpoint's profile is the address's (what the target promises) followed by the
user's ``--profile`` pairs, and :meth:`Endpoint.option` takes the last value given for a name, so the
user's value wins over the target's promise, and a later ``--profile`` over an earlier one.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, fields, replace
from urllib.parse import urlsplit

__all__ = ["ALL_SCHEMES", "Address", "ConnectOptions", "Endpoint", "join", "parse_address", "parse_url"]

_DEFAULT_PORTS = {"ws": 80, "wss": 443, "http": 80, "https": 443}
_SECURE = frozenset({"wss", "https"})
#: Every scheme a target URL may have.
ALL_SCHEMES = frozenset(_DEFAULT_PORTS)

Profile = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Address:
    """Where a target listens, as the target gives it.

    Attributes:
        url: the URL as given (or as built for a started target).
        scheme: "ws", "wss", "http" or "https".
        host: host name or IP address, without IPv6 brackets.
        port: TCP port.
        resource: path and query to request ("/" when the URL has none).
        profile: what the target itself promises, as (name, value) pairs (the embedded reference
            servers' ``reference_profile``); the user's ``--profile`` comes after it.
        suites: per-suite addresses of a target serving several protocols (the embedded references).
    """

    url: str
    scheme: str
    host: str
    port: int
    resource: str = "/"
    profile: Profile = ()
    suites: tuple[tuple[str, Address], ...] = ()

    def for_suite(self, spec: str) -> Address:
        """The address to test ``spec`` cases on: the suite's own if the target has one, else this one."""
        return next((address for name, address in self.suites if name == spec), self)

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


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    """What the user asked for on every connection (built once by the CLI).

    Attributes:
        headers: extra request headers (``--header``), in order.
        subprotocols: subprotocols to offer (``--subprotocol``).
        origin: the Origin header value (``--origin``), or None.
        ca_file: a CA bundle to verify the target's certificate (``--ca``).
        insecure: skip certificate verification (``--insecure``).
        profile: what the user says the target promises (``--profile`` and its shortcuts), in order.
    """

    headers: tuple[tuple[str, str], ...] = ()
    subprotocols: tuple[str, ...] = ()
    origin: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    profile: Profile = ()


_ADDRESS_FIELDS = frozenset(f.name for f in fields(Address)) - {"profile"}
_OPTION_FIELDS = frozenset(f.name for f in fields(ConnectOptions))


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One address and the user's options: what a client connects with.

    The address's and the options' attributes read through (``url``, ``host``, ``headers``...);
    ``profile`` is both profiles joined (see the module docstring for the precedence).
    """

    address: Address
    options: ConnectOptions = ConnectOptions()

    @property
    def url(self) -> str:
        """The target URL."""
        return self.address.url

    @property
    def scheme(self) -> str:
        """"ws", "wss", "http" or "https"."""
        return self.address.scheme

    @property
    def host(self) -> str:
        """Host name or IP address, without IPv6 brackets."""
        return self.address.host

    @property
    def port(self) -> int:
        """TCP port."""
        return self.address.port

    @property
    def resource(self) -> str:
        """Path and query to request."""
        return self.address.resource

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """Extra request headers (``--header``)."""
        return self.options.headers

    @property
    def subprotocols(self) -> tuple[str, ...]:
        """Subprotocols to offer (``--subprotocol``)."""
        return self.options.subprotocols

    @property
    def origin(self) -> str | None:
        """The Origin header value (``--origin``), or None."""
        return self.options.origin

    @property
    def ca_file(self) -> str | None:
        """A CA bundle to verify the target's certificate (``--ca``)."""
        return self.options.ca_file

    @property
    def insecure(self) -> bool:
        """Skip certificate verification (``--insecure``)."""
        return self.options.insecure

    @property
    def profile(self) -> Profile:
        """The target's promised profile, then the user's ``--profile`` pairs."""
        return self.address.profile + self.options.profile

    def option(self, name: str, default: str | None = None) -> str | None:
        """A profile value by name (the last one given: the user's over the target's), or ``default``."""
        values = [v for n, v in self.profile if n == name]
        return values[-1] if values else default

    @property
    def secure(self) -> bool:
        """TLS is used (wss:// or https://)."""
        return self.address.secure

    @property
    def host_header(self) -> str:
        """The Host header value: brackets around IPv6 literals, the port unless it is the default."""
        return self.address.host_header

    @property
    def name(self) -> str:
        """A file-system-safe name for reports: ``host_port``."""
        return self.address.name

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
        """A copy with some attributes changed: address attributes (``resource``, ``url``...) change the
        address, option attributes (``headers``, ``profile``...) the options; ``profile`` is the user's.

        Raises:
            TypeError: an attribute that is neither.
        """
        unknown = changes.keys() - _ADDRESS_FIELDS - _OPTION_FIELDS
        if unknown:
            raise TypeError(f"Endpoint has no attribute(s) {sorted(unknown)} to change")
        address = {k: v for k, v in changes.items() if k in _ADDRESS_FIELDS}
        options = {k: v for k, v in changes.items() if k in _OPTION_FIELDS}
        return Endpoint(replace(self.address, **address) if address else self.address,  # type: ignore[arg-type]
                        replace(self.options, **options) if options else self.options)  # type: ignore[arg-type]


def join(address: Address, options: ConnectOptions, spec: str | None = None) -> Endpoint:
    """The endpoint a ``spec`` case connects with: the suite's own address (:meth:`Address.for_suite`)
    and the user's options. Nothing is copied: the endpoint reads both."""
    return Endpoint(address if spec is None else address.for_suite(spec), options)


def parse_address(url: str, schemes: frozenset[str] = frozenset({"ws", "wss"})) -> Address:
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
    return Address(url=url, scheme=scheme, host=parts.hostname, port=port or _DEFAULT_PORTS[scheme],
                   resource=resource)


def parse_url(url: str, schemes: frozenset[str] = frozenset({"ws", "wss"})) -> Endpoint:
    """:func:`parse_address`, as an endpoint without options (the raw clients' and tests' shortcut).

    Raises:
        ValueError: as :func:`parse_address`.
    """
    return Endpoint(parse_address(url, schemes))
