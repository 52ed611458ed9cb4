"""Downloading one document from the clinic's website for an import, only from the allowed hosts and within limits.

The rules, each checked again on every redirect hop (at most `MAX_REDIRECTS`, followed here, not by httpx):
- only http and https, and no user name or password in the URL;
- only a host in `allowed_hosts`, matched case-insensitively: `clinic.org` (its default port only),
  `clinic.org:8443` (that port only), `*.clinic.org` (clinic.org itself and every subdomain, default port);
- the host is resolved and every address it has must be public. An address that is private, loopback,
  link-local, reserved or shared (also inside IPv4-mapped, 6to4, Teredo and NAT64 IPv6 addresses) is
  refused, unless the host is listed exactly (not by a wildcard): listing `127.0.0.1:8080` or
  `intranet.clinic.lan` vouches for it. Unspecified and multicast addresses are refused always;
- the request goes to the address that was checked: the URL's host is replaced by that IP, with the real
  name in the Host header and as the TLS server name (so the certificate is still verified for the name).
  A second lookup by httpx, which a rebinding DNS server could answer differently, never happens.
  `Connection: close` keeps a connection (verified for one name) from being reused for another;
- requests are built here, so no cookies, credentials or client-wide headers are sent; the User-Agent is
  `clinicbot-importer`;
- the body is counted while it streams and dropped past `max_bytes` (Content-Length is only a first check);
- the whole download, redirects included, has `timeout_seconds`: each wait is bounded by the time left and
  the download stops once it is up. (The DNS lookup itself is the system resolver's and not bounded here.)
"""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from service.settings import Settings

__all__ = ["MAX_REDIRECTS", "Download", "ImportLimits", "ImportRefused", "address_refusal", "check_url",
           "download", "new_client"]

MAX_REDIRECTS = 5
USER_AGENT = "clinicbot-importer"
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = IPv6Network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are an IPv4 address
_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html, application/xhtml+xml, application/xml;q=0.9, text/xml;q=0.9, "
              "application/rss+xml;q=0.9, application/atom+xml;q=0.9, */*;q=0.1",
    # identity: the byte limit then counts what was sent, not what a small compressed body expands to
    "Accept-Encoding": "identity",
    "Connection": "close",
}


class ImportRefused(ValueError):
    """A URL or document an import will not take; `reason` says why, in words shown to staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImportLimits:
    """Where an import may fetch from and how much: the import settings, as the importer uses them."""

    allowed_hosts: tuple[str, ...]
    max_bytes: int = 5_000_000
    timeout_seconds: float = 10.0
    max_pages: int = 200

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits the `import_*` settings give."""
        return cls(allowed_hosts=tuple(settings.import_allowed_hosts), max_bytes=settings.import_max_bytes,
                   timeout_seconds=settings.import_timeout_seconds, max_pages=settings.import_max_pages)


@dataclass(frozen=True)
class Download:
    """One fetched document: its final URL (after redirects), media type (lower case, no parameters) and body."""

    url: str
    content_type: str
    data: bytes


def _host_of(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii").lower().rstrip(".")


def _entry(entry: str) -> tuple[str, int | None, bool]:
    """An allowed_hosts entry as (host, port or None for the default one, is a wildcard)."""
    text = entry.strip().lower()
    wildcard = text.startswith("*.")
    text = text[2:] if wildcard else text
    try:
        url = httpx.URL(text if "://" in text else "http://" + text)
    except httpx.InvalidURL:
        return "", None, wildcard  # an entry that is no host name matches nothing
    return _host_of(url), url.port, wildcard


def _host_rule(url: httpx.URL, allowed_hosts: Sequence[str]) -> str | None:
    """How the URL's host is allowed: "exact", "wildcard", or None when it is not."""
    host, port = _host_of(url), url.port or (443 if url.scheme == "https" else 80)
    found = None
    for entry in allowed_hosts:
        name, entry_port, wildcard = _entry(entry)
        if not name or port != (entry_port or (443 if url.scheme == "https" else 80)):
            continue
        if host == name and not wildcard:
            return "exact"
        if wildcard and (host == name or host.endswith("." + name)):
            found = "wildcard"
    return found


def check_url(url: str, limits: ImportLimits) -> tuple[httpx.URL, bool]:
    """The URL (without its fragment) and whether its host is listed exactly; ImportRefused when not allowed."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise ImportRefused(f"not a valid URL: {url[:200]!r}") from exc
    if parsed.scheme not in ("http", "https"):
        raise ImportRefused(f"only http and https URLs can be imported, not {parsed.scheme or 'a relative URL'}")
    if not parsed.host:
        raise ImportRefused("the URL has no host")
    if parsed.userinfo:
        raise ImportRefused("URLs with a user name or password are not imported")
    rule = _host_rule(parsed, limits.allowed_hosts)
    if rule is None:
        if not limits.allowed_hosts:
            raise ImportRefused("importing is off: no host is allowed (the import_allowed_hosts setting)")
        raise ImportRefused(f"host not allowed: {parsed.netloc.decode('ascii')}")
    return parsed.copy_with(fragment=None), rule == "exact"


def address_refusal(address: str | IPv4Address | IPv6Address, vouched: bool = False) -> str | None:
    """Why an import may not connect to this IP address, or None when it may.

    `vouched` (the host is listed exactly in allowed_hosts) lets non-public addresses through, except the
    unspecified and multicast ones, which are never a web server's.
    """
    ip = ip_address(address)
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is {'an unspecified' if ip.is_unspecified else 'a multicast'} address"
    if vouched:
        return None
    if isinstance(ip, IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and (reason := address_refusal(inner)):
            return f"{ip} holds {reason}"
    for kind in ("loopback", "link_local", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:  # e.g. 100.64.0.0/10, shared by carriers' NAT
        return f"{ip} is not a public address"
    return None


def _addresses(url: httpx.URL, vouched: bool) -> list[str]:
    """The host's addresses, every one checked; ImportRefused when it has none or one is refused."""
    host = url.host
    try:
        infos = socket.getaddrinfo(host, url.port or (443 if url.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ImportRefused(f"{host} could not be found") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:  # all of them: a round-robin name must not hide one internal address
        try:
            reason = address_refusal(address.split("%")[0], vouched)
        except ValueError:
            reason = f"{address} is not an IP address"
        if reason:
            raise ImportRefused(f"{host} resolves to a refused address: {reason}")
    if not addresses:
        raise ImportRefused(f"{host} could not be found")
    return addresses


def _time_left(deadline: float, limits: ImportLimits) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ImportRefused(f"timed out after {limits.timeout_seconds:g} seconds")
    return left


@contextmanager
def _response(client: httpx.Client, url: httpx.URL, vouched: bool, deadline: float,
              limits: ImportLimits) -> Iterator[httpx.Response]:
    """A streamed response from one of the URL's checked addresses (tried in turn until one connects)."""
    addresses = _addresses(url, vouched)
    host_header = url.netloc.decode("ascii")
    for n, address in enumerate(addresses):
        left = _time_left(deadline, limits)
        request = httpx.Request(
            "GET", url.copy_with(host=address.split("%")[0]), headers={**_HEADERS, "Host": host_header},
            extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), left),
                        "sni_hostname": url.host},
        )
        try:
            response = client.send(request, stream=True, auth=None, follow_redirects=False)
        except httpx.ConnectError as exc:
            if n + 1 < len(addresses):
                continue
            raise ImportRefused(f"could not connect to {host_header}: {exc}") from exc
        try:
            yield response
        finally:
            response.close()
        return


def _read(response: httpx.Response, deadline: float, limits: ImportLimits) -> bytes:
    """The body, stopped when it passes max_bytes or the time is up."""
    too_big = ImportRefused(f"larger than the limit of {limits.max_bytes:,} bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise too_big
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limits.max_bytes:
            raise too_big
        _time_left(deadline, limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _joined(base: httpx.URL, location: str) -> str:
    try:
        return str(base.join(location))
    except httpx.InvalidURL as exc:
        raise ImportRefused("not a valid URL") from exc


def new_client() -> httpx.Client:
    """A client for imports: no proxies or certificates from the environment, no redirects of its own."""
    return httpx.Client(trust_env=False, follow_redirects=False)


def download(url: str, limits: ImportLimits, client: httpx.Client | None = None) -> Download:
    """Fetch one URL within the rules above; ImportRefused saying why not."""
    if client is None:
        with new_client() as own:
            return download(url, limits, own)
    deadline = time.monotonic() + limits.timeout_seconds
    target, vouched = check_url(url, limits)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            with _response(client, target, vouched, deadline, limits) as response:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location", "")
                    if not location:
                        raise ImportRefused(f"HTTP {response.status_code} without a Location")
                    try:
                        target, vouched = check_url(_joined(target, location), limits)
                    except ImportRefused as exc:
                        raise ImportRefused(f"redirected to {location[:200]}: {exc.reason}") from exc
                    continue
                if response.status_code != 200:
                    raise ImportRefused(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return Download(str(target), media_type, _read(response, deadline, limits))
    except httpx.TimeoutException as exc:
        raise ImportRefused(f"timed out after {limits.timeout_seconds:g} seconds") from exc
    except httpx.HTTPError as exc:
        raise ImportRefused(f"could not fetch {target}: {exc}") from exc
    raise ImportRefused(f"more than {MAX_REDIRECTS} redirects")
