"""The host's address on a Docker bridge, whatever dockerd lists of the bridge's IPAM: the Docker
network tests listen there, and a fresh dockerd 20.10 lists the default bridge's ``Subnet`` only
(reading ``Gateway`` failed with StopIteration there)."""

from __future__ import annotations

import pytest

from tests.support.docker_bridge import bridge_host_address, bridge_interface_name, interface_ipv4
from tests.support.docker_images import run

# `GET /networks/bridge` of a fresh dockerd 20.10: no Gateway in IPAM.Config.
DEFAULT_BRIDGE_SUBNET_ONLY = {
    "Name": "bridge",
    "Id": "b63c0cd9b612e1e06b84703e1cdab2472b779512821617e602a2ed8da90ae128",
    "Driver": "bridge",
    "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": "172.17.0.0/16"}]},
    "Options": {
        "com.docker.network.bridge.default_bridge": "true",
        "com.docker.network.bridge.name": "docker0",
    },
}


def no_interface(name: str) -> str | None:
    return None


def test_the_bridge_interface_address_is_used_when_it_can_be_read():
    seen = []

    def address_of(name: str) -> str | None:
        seen.append(name)
        return "172.17.0.1"

    assert bridge_host_address(DEFAULT_BRIDGE_SUBNET_ONLY, address_of) == "172.17.0.1"
    assert seen == ["docker0"]


def test_without_a_listed_gateway_the_subnet_gives_the_address():
    assert bridge_host_address(DEFAULT_BRIDGE_SUBNET_ONLY, no_interface) == "172.17.0.1"


def test_a_listed_gateway_comes_before_the_subnet():
    network = {
        "Name": "custom",
        "Id": "0123456789abcdef",
        "IPAM": {"Config": [{"Subnet": "fd00::/64"}, {"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.254"}]},
        "Options": {},
    }
    assert bridge_interface_name(network) == "br-0123456789ab"
    assert bridge_host_address(network, no_interface) == "10.9.0.254"


def test_a_network_without_ipv4_is_a_clear_error():
    network = {"Name": "v6", "IPAM": {"Config": [{"Subnet": "fd00::/64"}]}}
    with pytest.raises(LookupError, match="'v6' has no IPv4"):
        bridge_host_address(network, no_interface)


def test_a_missing_interface_reads_as_none():
    assert interface_ipv4("no-such-if0") is None
    assert interface_ipv4("lo") == "127.0.0.1"


@pytest.mark.docker
def test_the_local_dockerd_default_bridge_gives_a_local_address(tmp_path):
    """Whatever this dockerd lists, the answer is an address of this host (a listener can bind it)."""
    import socket

    from fcbackend.instances.docker.driver import DockerDriver

    async def default_bridge() -> dict:
        driver = DockerDriver(tmp_path)
        try:
            return await driver.engine.call("GET", "/networks/bridge")
        finally:
            await driver.close()

    host = bridge_host_address(run(default_bridge()))
    with socket.create_server((host, 0)):
        pass
