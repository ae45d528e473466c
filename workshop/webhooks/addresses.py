"""Which URLs a webhook may be sent to (the SSRF guard), checked when an endpoint is saved and
again before every attempt (DNS may have changed since: rebinding).

Refused unless `WEBHOOK_ALLOW_PRIVATE=true`: a host named `localhost` (or `*.localhost`), and
any host that is or resolves to an address that is not public — loopback, private (10/8,
172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata service,
fe80::/10), unspecified, shared (100.64/10), reserved, multicast, and IPv4 addresses mapped
into IPv6 (`::ffff:127.0.0.1`) judged as the IPv4 address they are. One refused address among
those a name resolves to refuses the URL. The sender connects to the address checked here,
never resolving the name again.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlRefused(Exception):
    """The URL may not be a webhook's (the message says why)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name as in the URL (the Host header, TLS's server name)
    port: int
    path: str  # path and query, as sent in the request line
    address: str | None  # the checked IP to connect to (None: the name does not resolve now)


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the one place that asks DNS; tests replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public(str(mapped))
    return ip.is_global and not ip.is_multicast


def parse(url: str, *, require_https: bool | None = None) -> Target:
    """The URL's parts, or UrlRefused for one that is not an absolute http(s) URL."""
    if require_https is None:
        require_https = settings.WEBHOOK_REQUIRE_HTTPS
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"Enter an http(s) URL of at most {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UrlRefused("A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"Not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    allowed = ("https",) if require_https else ("http", "https")
    if scheme not in allowed:
        raise UrlRefused("Only https URLs are allowed." if require_https else "Use an http or https URL.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("Credentials in the URL are not allowed.")
    if parts.fragment:
        raise UrlRefused("A webhook URL has no fragment (#…).")
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UrlRefused("The host name is not valid.") from None
    # Non-ASCII in the path or query goes percent-encoded (as a browser sends it).
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path = f"{path}?{quote(parts.query, safe='/%:@!$&()*+,;=-._~?')}"
    return Target(scheme, host, port or DEFAULT_PORTS[scheme], path, None)


def check(url: str, *, require_https: bool | None = None, must_resolve: bool = False) -> Target:
    """The URL's target with the address to connect to, after the SSRF rules. A name that
    does not resolve is accepted when saving (`must_resolve=False`: it may later) and refused
    when sending."""
    target = parse(url, require_https=require_https)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    host = target.host.lower()
    if not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise UrlRefused("Webhooks may not be sent to this host (localhost).")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolve(target.host, target.port)
        except (OSError, UnicodeError):
            addresses = []
    if not addresses:
        if must_resolve:
            raise UrlRefused(f"The host {target.host} does not resolve.")
        return target
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UrlRefused(
                    f"Webhooks may not be sent to a private, loopback, link-local or reserved address ({address})."
                )
    return Target(target.scheme, target.host, target.port, target.path, addresses[0])
