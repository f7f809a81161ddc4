"""The host's address on a Docker bridge network, for tests that listen where containers can reach.

Why not ``IPAM.Config[].Gateway``: dockerd does not always list it (a fresh dockerd 20.10 lists only
the ``Subnet`` of the default bridge). The address the host really has is the bridge interface's
own, so that comes first; a listed gateway, then the subnet's first host address (where dockerd
puts the bridge unless told otherwise), are the fall-backs when the interface cannot be read (a
dockerd in another network namespace).
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from collections.abc import Callable
from typing import Any

SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"


def interface_ipv4(name: str) -> str | None:
    """The IPv4 address of network interface ``name`` in this namespace (None: no such interface or
    no IPv4 address)."""
    request = struct.pack("256s", name.encode()[:15])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def bridge_interface_name(network: dict[str, Any]) -> str:
    """The Linux bridge behind a Docker bridge network (``GET /networks/<name>``)."""
    named = (network.get("Options") or {}).get(BRIDGE_NAME_OPTION)
    if named:
        return str(named)
    if network.get("Name") == "bridge":
        return "docker0"
    return "br-" + str(network.get("Id", ""))[:12]


def bridge_host_address(
    network: dict[str, Any], interface_address: Callable[[str], str | None] = interface_ipv4
) -> str:
    """The host's IPv4 address on ``network`` (a ``GET /networks/<name>`` answer)."""
    address = interface_address(bridge_interface_name(network))
    if address:
        return address
    configs = (network.get("IPAM") or {}).get("Config") or []
    for config in configs:
        gateway = config.get("Gateway") or ""
        if "." in gateway:
            return gateway
    for config in configs:
        subnet = config.get("Subnet") or ""
        if "." in subnet:
            return str(next(ipaddress.ip_network(subnet, strict=False).hosts()))
    raise LookupError(f"network {network.get('Name')!r} has no IPv4 bridge address, gateway or subnet")
