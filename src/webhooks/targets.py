"""Which addresses a webhook may be delivered to.

A target is judged by the addresses its host RESOLVES to, every A and AAAA record, never by its
name: `localhost`, `127.1`, `2130706433` or a public name pointing at 10.0.0.5 are all refused
unless WEBHOOK_ALLOW_PRIVATE_TARGETS is true. The check runs when an endpoint is registered and
again before every delivery (DNS can change in between), and the delivery then connects to the
address that was checked, so a second lookup cannot swap it (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_TIMEOUT_SECONDS = 5.0


class TargetRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


class ResolutionFailed(Exception):
    """The URL's host does not resolve (now)."""


def refusal(address: Address) -> str | None:
    """Why `address` is not a public destination, or None when it is."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return reason
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking, ...
        return "non-public"
    return None


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), which is where it goes."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


@dataclass(frozen=True)
class Target:
    host: str  # as written in the URL (a name or an address literal)
    port: int
    addresses: list[Address]


async def resolve(url: str) -> Target:
    """Every address the URL's host resolves to (the literal itself for an IP host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        return Target(host, port, [ipaddress.ip_address(host)])
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise ResolutionFailed(f"cannot resolve {host!r}: {exc or type(exc).__name__}") from None
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ResolutionFailed(f"cannot resolve {host!r}: no addresses")
    return Target(host, port, addresses)


def check(target: Target) -> None:
    """Refuse the target when ANY of its addresses is not public."""
    for address in target.addresses:
        reason = refusal(address)
        if reason is not None:
            shown = "" if target.host == str(address) else f"{target.host!r} resolves to "
            raise TargetRefused(
                f"{shown}{reason} address {address}; webhooks may only target public addresses "
                "(set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow this)"
            )
