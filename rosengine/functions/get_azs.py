"""``Fn::GetAZs`` — the zone IDs of a region, answered locally and deterministically.

Order of precedence: ``ctx.zones(region)`` when the caller supplies a zone source (a test
fixture, a real cloud client), else a built-in table of real Alibaba Cloud zones for common
regions, else ``<region>-a``, ``-b``, ``-c`` so any region name works offline. An empty region
means the stack's own region (AWS behaviour; UNCONFIRMED for ROS, but what a user expects).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::GetAZs"


def _zones(region: str, letters: str) -> list[str]:
    return [f"{region}-{letter}" for letter in letters]


KNOWN_ZONES: dict[str, list[str]] = {
    "cn-hangzhou": _zones("cn-hangzhou", "bghijk"),
    "cn-shanghai": _zones("cn-shanghai", "befglmn"),
    "cn-beijing": _zones("cn-beijing", "acdefghijkl"),
    "cn-shenzhen": _zones("cn-shenzhen", "abcdef"),
    "cn-qingdao": _zones("cn-qingdao", "bc"),
    "cn-zhangjiakou": _zones("cn-zhangjiakou", "abc"),
    "cn-huhehaote": _zones("cn-huhehaote", "ab"),
    "cn-wulanchabu": _zones("cn-wulanchabu", "abc"),
    "cn-heyuan": _zones("cn-heyuan", "ab"),
    "cn-guangzhou": _zones("cn-guangzhou", "ab"),
    "cn-chengdu": _zones("cn-chengdu", "ab"),
    "cn-hongkong": _zones("cn-hongkong", "bcd"),
    "ap-southeast-1": _zones("ap-southeast-1", "abc"),
    "ap-southeast-3": _zones("ap-southeast-3", "ab"),
    "ap-southeast-5": _zones("ap-southeast-5", "abc"),
    "ap-southeast-6": _zones("ap-southeast-6", "ab"),
    "ap-southeast-7": _zones("ap-southeast-7", "a"),
    "ap-northeast-1": _zones("ap-northeast-1", "abc"),
    "ap-northeast-2": _zones("ap-northeast-2", "a"),
    "us-west-1": _zones("us-west-1", "ab"),
    "us-east-1": _zones("us-east-1", "ab"),
    "eu-central-1": _zones("eu-central-1", "abc"),
    "eu-west-1": _zones("eu-west-1", "ab"),
    "me-east-1": _zones("me-east-1", "a"),
    "me-central-1": _zones("me-central-1", "a"),
}


def zones_for(region: str, ctx: FunctionContext) -> list[str]:
    if ctx.zones is not None:
        return list(ctx.zones(region))
    return list(KNOWN_ZONES.get(region) or _zones(region, "abc"))


def evaluate_get_azs(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if args is None or args == "":
        return zones_for(ctx.region, ctx)
    if not isinstance(args, str):
        raise fail(NAME, "a region ID string (for example {'Ref': 'ALIYUN::Region'})", args)
    return zones_for(args.strip(), ctx)


define(NAME, evaluate_get_azs, result_type="array")
