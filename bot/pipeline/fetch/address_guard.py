"""Keep Newsdesk's fetcher out of private networks (server-side request forgery guard).

Rules:

- Only *public* unicast addresses may be connected to. Refused: loopback, private
  (10/8, 172.16/12, 192.168/16), link-local (169.254/16, which holds cloud metadata
  services), carrier-grade NAT (100.64/10), multicast, unspecified, reserved and
  documentation ranges, and the IPv6 equivalents (``::1``, ``fc00::/7``, ``fe80::/10``,
  the deprecated site-local ``fec0::/10`` that some networks still route internally,
  multicast). IPv6 addresses that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
  6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) are judged by the embedded address.
- The check runs on the addresses a host name **resolves to, at connect time**, inside the
  connector's resolver (``PublicOnlyResolver``). The address that was checked is the address
  that is used, so a DNS answer that changes between a check and the connection (DNS
  rebinding) cannot slip through. A name with any non-public address is refused outright.
- Literal IP hosts in a URL never reach a resolver, so the fetcher also calls
  ``refuse_private_literal_host`` on every URL it is about to request, redirects included.
- The guard is switched off only by ``FetchSettings.allow_private_addresses`` (tests, benches),
  or for exact ``(host, port)`` pairs in ``FetchSettings.allowed_private_origins`` (the
  sandbox's own servers on 127.0.0.1; every other private address stays refused there).
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

PRIVATE_ADDRESS_MESSAGE = (
    "That address points into a private network, which Newsdesk does not fetch from."
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class PrivateAddressRefused(OSError):
    """A connection to a non-public address was refused by the guard.

    It is an ``OSError`` so aiohttp wraps it like any other resolution failure; the fetcher
    finds it in the exception chain and turns it into a ``FetchError``.
    """

    def __init__(self, host: str) -> None:
        super().__init__(f"refused to connect to non-public address of {host!r}")
        self.host = host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(ip: str | IPAddress) -> bool:
    """Return True when ``ip`` is a public unicast address Newsdesk may connect to."""
    try:
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address.is_site_local:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    if isinstance(address, ipaddress.IPv4Address) and address in _CARRIER_GRADE_NAT:
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


def literal_ip_host(host: str) -> IPAddress | None:
    """Return the address when a URL's host is a literal IP (brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def refuse_private_literal_host(host: str) -> None:
    """Raise ``PrivateAddressRefused`` when ``host`` is a literal non-public IP address."""
    address = literal_ip_host(host)
    if address is not None and not is_public_address(address):
        raise PrivateAddressRefused(host)


class PublicOnlyResolver(AbstractResolver):
    """A resolver that wraps aiohttp's default one and refuses non-public answers."""

    def __init__(
        self,
        inner: AbstractResolver | None = None,
        *,
        allowed_origins: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self._inner = inner
        self._allowed_origins = allowed_origins

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and return its addresses, refusing any non-public one."""
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if (host, port) in self._allowed_origins:
            return results
        if any(not is_public_address(result["host"]) for result in results):
            raise PrivateAddressRefused(host)
        return results

    async def close(self) -> None:
        """Release the wrapped resolver."""
        if self._inner is not None:
            await self._inner.close()
