"""Which FHIR servers the service may call: URLs parsed, normalised and matched against an allow-list.

An EHR names its FHIR server in each CDS Hooks call (`fhirServer`), so the URL is the caller's
choice: matching it as a string let `#`, `?`, `..` and numeric host spellings reach any address
(issue 15). Here a URL is taken apart, put in one canonical form, and compared by its parts.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"https": 443, "http": 80}
LOOPBACK_NAMES = {"localhost"}
# Cloud metadata services outside link-local: AWS over IPv6, Alibaba Cloud, Oracle Cloud's legacy one.
METADATA = {ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "192.0.0.192")}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DOTTED_QUAD = re.compile(r"^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


class OriginRefused(Exception):
    """A URL is not one the service will call; the message says why, without echoing the URL."""


@dataclass(frozen=True)
class Origin:
    """A parsed FHIR base URL: scheme, lowercased host, explicit port, and a path without dot segments."""

    scheme: str
    host: str  # a DNS name, a dotted-quad IPv4 or an IPv6 address (without brackets)
    port: int
    path: str  # "" or "/a/b": no trailing slash, no dot segments

    @property
    def netloc(self) -> str:
        """Return host[:port] as a Host header states it (the port only when not the scheme's default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path}"

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_NAMES or _is_ip(self.host) and ipaddress.ip_address(self.host).is_loopback

    def contains(self, other: Origin) -> bool:
        """True when other is this server, or a path under this one (by whole segments)."""
        same_server = (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port)
        return same_server and (other.path == self.path or other.path.startswith(self.path + "/"))


def parse(url: str, query: bool = False) -> tuple[Origin, str]:
    """Return (origin, query) of an http(s) URL, or raise OriginRefused.

    Refused: userinfo, a fragment, a query unless `query` (a search URL, a next link), a host that
    is neither a DNS name, a dotted-quad IPv4 nor a bracketed IPv6 (so no 0x7f.1, 2130706433 or
    0177.0.0.1), and any character a browser or server might read differently (spaces, backslashes,
    controls, non-ASCII, an encoded slash).
    """
    if not _PRINTABLE.match(url) or "\\" in url:
        raise OriginRefused("the URL holds spaces, backslashes, control or non-ASCII characters")
    if "#" in url:
        raise OriginRefused("the URL has a fragment")
    if "?" in url and not query:
        raise OriginRefused("the URL has a query")
    try:
        parts = urlsplit(url)
    except ValueError:  # unbalanced or misused brackets
        raise OriginRefused("the URL's host is not valid") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OriginRefused("the URL is not http(s)")
    if "@" in parts.netloc:
        raise OriginRefused("the URL has userinfo")
    host = _host(parts.netloc)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise OriginRefused("the URL's port is not a number from 1 to 65535")
    return Origin(scheme, host, port or DEFAULT_PORTS[scheme], normalise_path(parts.path)), parts.query


def _host(netloc: str) -> str:
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    if host.startswith("["):
        try:
            # No zone id ("%eth0"): it names an interface of this machine, not a server.
            address = ipaddress.IPv6Address(host[1:-1] if host.endswith("]") and "%" not in host else "x")
        except ValueError:
            raise OriginRefused("the URL's IPv6 address is not valid") from None
        return str(address)
    host = host.lower().removesuffix(".")
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # As WHATWG URL parsing reads it, a last label that is a number makes the host an IPv4
        # address in some spelling; only the plain dotted quad is accepted.
        if not _DOTTED_QUAD.match(host) or any(int(label) > 255 for label in labels):
            raise OriginRefused("the URL's IPv4 address is not a plain dotted quad")
        return host
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise OriginRefused("the URL's host is not a DNS name or an IP address")
    return host


def normalise_path(path: str) -> str:
    """Decode escaped unreserved characters, refuse an escaped slash, remove dot segments (RFC 3986 5.2.4)."""

    def decode(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        if char in "/\\":
            raise OriginRefused("the URL's path holds an escaped slash")
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    decoded = _ESCAPE.sub(decode, path)
    kept: list[str] = []
    for segment in decoded.split("/")[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    while kept and kept[-1] == "":
        kept.pop()  # a trailing slash names the same base
    return "".join(f"/{segment}" for segment in kept)


def allow_list(entries: list[str], setting: str = "SPASMDX_CDS_FHIR_SERVERS") -> list[Origin]:
    """Parse the allow-list; raise ValueError naming the setting for an entry that cannot be one."""
    origins = []
    for entry in entries:
        try:
            origin, _ = parse(entry)
        except OriginRefused as error:
            raise ValueError(f"{setting}: {entry!r} is not a FHIR base URL ({error})") from None
        if origin.scheme != "https" and not origin.is_loopback:
            raise ValueError(f"{setting}: {entry!r} must be https (plain http only for a loopback host)")
        origins.append(origin)
    return origins


def allowed(url: str, origins: list[Origin]) -> tuple[Origin, Origin]:
    """Return (the fhirServer parsed, the allow-list entry holding it), or raise OriginRefused."""
    origin, _ = parse(url)
    for entry in origins:
        if entry.contains(origin):
            return origin, entry
    raise OriginRefused("the fhirServer is not on SPASMDX_CDS_FHIR_SERVERS")


def check_address(address: str, entry: Origin) -> None:
    """Refuse an address a host resolved to: link-local, metadata, unspecified, multicast, and
    loopback unless the allow-list entry is itself loopback (so a DNS name cannot point at this machine)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip in METADATA:
        raise OriginRefused("the host resolves to a link-local or cloud metadata address")
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        raise OriginRefused("the host resolves to an address no server has")
    if ip.is_loopback and not entry.is_loopback:
        raise OriginRefused("the host resolves to this machine")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
