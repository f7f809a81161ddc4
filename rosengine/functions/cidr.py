"""``Fn::Cidr`` — ``[ipBlock, count, cidrBits]``: ``count`` consecutive subnets of the block.

Each subnet has ``cidrBits`` host bits (prefix ``32 - cidrBits`` for IPv4, ``128 - cidrBits`` for
IPv6, which ROS does not document but costs nothing) and they start at the block's first address.
``count`` is 1-256 as in ROS. A block too small for the request is an error that says how many
subnets fit, rather than a shorter list.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail, to_int
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::Cidr"
SHAPE = "[ipBlock, count, cidrBits]"


def evaluate_cidr(args: Any, ctx: FunctionContext, path: Path) -> Any:
    block_text, count_arg, bits_arg = expect_list(NAME, args, SHAPE, min_len=3, max_len=3)
    if not isinstance(block_text, str):
        raise fail(NAME, "the IP block to be a CIDR string like '192.168.0.0/24'", block_text, (0,))
    try:
        block = ipaddress.ip_network(block_text.strip(), strict=False)
    except ValueError as exc:
        raise FunctionError(
            f"{NAME}: {block_text!r} is not a valid CIDR block ({exc})", sub_path=(0,)
        ) from exc
    count = to_int(NAME, count_arg, "count", (1,))
    if not 1 <= count <= 256:
        raise FunctionError(f"{NAME} expects count between 1 and 256 but got {count}", sub_path=(1,))
    host_bits = to_int(NAME, bits_arg, "cidrBits", (2,))
    prefix = block.max_prefixlen - host_bits
    if not block.prefixlen <= prefix <= block.max_prefixlen:
        raise FunctionError(
            f"{NAME}: cidrBits {host_bits} does not fit in {block} "
            f"(allowed: 0 to {block.max_prefixlen - block.prefixlen})",
            sub_path=(2,),
        )
    available = 1 << (prefix - block.prefixlen)
    if count > available:
        raise FunctionError(
            f"{NAME}: {block} holds only {available} subnet(s) of /{prefix}, but {count} were requested",
            sub_path=(1,),
        )
    size = 1 << host_bits
    first = int(block.network_address)
    text = _ipv4_text if block.version == 4 else _ipv6_text
    return [f"{text(first + i * size)}/{prefix}" for i in range(count)]


def _ipv4_text(address: int) -> str:
    """Dotted quad without building an IPv4Address (10x faster; up to 256 subnets per call)."""
    return ".".join(map(str, address.to_bytes(4, "big")))


def _ipv6_text(address: int) -> str:
    return str(ipaddress.IPv6Address(address))


define(NAME, evaluate_cidr, result_type="array")
