"""Whose address a request comes from, believing ``X-Forwarded-For`` only from configured trusted proxies.

Sign-in throttling and rate limits count per client address, so the address must be one the client cannot pick.
The connection's peer is the client unless it is one of ``REPAIROPS_TRUSTED_PROXIES``; then ``X-Forwarded-For``
is read from the right, each trusted proxy's entry skipped, and the first address no trusted proxy vouches for is
the client's. Everything left of it was written by the client itself, so rotating it changes nothing. Used by the
API (``api.ratelimit``) and the web app's sign-in alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from ops_db.kit.errors import RepairOpsError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ADDRESS = 64  # what login_attempts.ip_address and sign_in_throttles.address hold


@lru_cache(maxsize=16)
def trusted_networks(raw: str) -> tuple[Network, ...]:
    """The networks of a ``REPAIROPS_TRUSTED_PROXIES`` value ("10.0.0.5, 192.168.0.0/24, ::1")."""
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise RepairOpsError(
                "REPAIROPS_TRUSTED_PROXIES holds {entry}, which is not an address or a network.", entry=entry
            ) from None
    return tuple(networks)


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether ``address`` is one of the trusted proxies."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(peer: str | None, forwarded: Iterable[str], networks: tuple[Network, ...]) -> str | None:
    """The client's address: ``peer`` (the connection's other end), or, when the peer is a trusted proxy, the
    rightmost address of the ``X-Forwarded-For`` headers (``forwarded``) that no trusted proxy vouches for.
    None when there is no peer to go by."""
    if not peer:
        return None
    if not networks or not is_trusted(peer, networks):
        return peer[:MAX_ADDRESS]
    hops = [hop.strip() for header in forwarded for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            return hop[:MAX_ADDRESS]
    return (hops[0] if hops else peer)[:MAX_ADDRESS]  # every hop is one of ours: where the request began
