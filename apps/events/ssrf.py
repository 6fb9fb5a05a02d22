"""The SSRF guard (DESIGN §10): a webhook URL whose host resolves to a private, loopback,
link-local (cloud metadata included), multicast, reserved or unspecified address is refused,
when the webhook is saved and again at every delivery (DNS can change), unless
WEBHOOK_ALLOW_PRIVATE is set. Deliveries connect to the address that was checked, never to a
second resolution of the name."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from apps.core.codes import ErrorCode

# Reached through link-local or private ranges already, named for the message.
METADATA_HOSTS = {"169.254.169.254", "fd00:ec2::254", "metadata.google.internal"}


class UnsafeURL(ValueError):
    """A URL that may not receive webhooks: `code` says why (an ErrorCode)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Target:
    """Where a delivery connects: the URL's parts and the checked address."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return bool(
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse(url: str) -> SplitResult:
    """The URL's parts, refused (UnsafeURL) when it is no absolute http(s) URL with a host, has
    credentials in it, or is plain http where HTTPS is required."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.", ErrorCode.INVALID) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("A webhook URL is an absolute http(s) URL.", ErrorCode.INVALID)
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(
            "A webhook URL may not carry credentials; the signature authenticates deliveries.",
            ErrorCode.INVALID,
        )
    if parts.scheme != "https" and settings.WEBHOOK_REQUIRE_HTTPS:
        raise UnsafeURL("Webhooks are delivered over HTTPS only.", ErrorCode.INSECURE_URL)
    if port == 0:
        raise UnsafeURL("Not a valid port.", ErrorCode.INVALID)
    return parts


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal: itself)."""
    try:
        return [ipaddress.ip_address(host).compressed]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check(url: str, *, delivering: bool = False) -> Target | None:
    """The delivery target of `url`, every address it resolves to checked; UnsafeURL when
    refused. A name that does not resolve (yet) is None when a webhook is saved (each delivery
    resolves and checks again) and refused when `delivering`."""
    parts = parse(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if host.lower().rstrip(".") in METADATA_HOSTS and not settings.WEBHOOK_ALLOW_PRIVATE:
        raise UnsafeURL(f"{host} is a cloud metadata address.", ErrorCode.PRIVATE_ADDRESS)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        if not delivering:
            return None
        raise UnsafeURL(f"{host} does not resolve.", ErrorCode.UNRESOLVABLE_HOST) from None
    if not addresses:  # pragma: no cover - getaddrinfo raises instead
        raise UnsafeURL(f"{host} does not resolve.", ErrorCode.UNRESOLVABLE_HOST)
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if _forbidden(ipaddress.ip_address(address)):
                raise UnsafeURL(
                    f"{host} resolves to {address}, a private, loopback, link-local or "
                    "otherwise non-public address; webhooks are delivered to public addresses "
                    "only.",
                    ErrorCode.PRIVATE_ADDRESS,
                )
    return Target(parts.scheme, host, port, addresses[0], path)
