"""The record types and what is particular about each (see :mod:`resource_types.records.provider`).

ID formats follow Alibaba Cloud's (``vpc-``, ``vsw-``, ``sg-``, ``eip-``, ``ngw-``, ``rg-``; API
Gateway group and API IDs of 32 hex digits, app IDs and DNS record IDs of digits; an MNS queue is
named by its name), with the local marker where the format has letters. Addresses come from the
documentation ranges (RFC 5737), so nothing here is ever a real host.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from typing import Any

from resource_types.base import ProviderContext, ResourceProvider
from resource_types.local_values import arn, hex_id, local_id, numeric_id, random_suffix
from resource_types.records.apigateway import API_GATEWAY_PUBLISHERS
from resource_types.records.provider import RecordRule, invalid, provider_for

_PUBLIC_DOCUMENTATION_NET = "203.0.113"  # TEST-NET-3: shaped like a public address, never routed


def _network(value: Any, what: str, low: int, high: int) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise invalid(f"{what} {value!r} is not a CIDR block: {exc}") from None
    if not isinstance(network, ipaddress.IPv4Network) or not low <= network.prefixlen <= high:
        raise invalid(f"{what} {value!r} must be an IPv4 block with a mask of {low} to {high} bits")
    return network


def _check_vpc(properties: Mapping[str, Any]) -> None:
    if properties.get("CidrBlock"):
        _network(properties["CidrBlock"], "CidrBlock", 8, 28)


def _check_vswitch(properties: Mapping[str, Any]) -> None:
    _network(properties.get("CidrBlock"), "CidrBlock", 16, 29)


def _check_port_range(properties: Mapping[str, Any]) -> None:
    value = str(properties.get("PortRange") or "")
    low, sep, high = value.partition("/")
    if not (sep and low.lstrip("-").isdigit() and high.lstrip("-").isdigit()):
        raise invalid(f"PortRange {value!r} must look like <from>/<to> (22/22, 1/65535, -1/-1)")


_DNS_TYPES = ("A", "NS", "MX", "TXT", "CNAME", "SRV", "AAAA", "CAA", "REDIRECT_URL", "FORWARD_URL")


def _check_dns_record(properties: Mapping[str, Any]) -> None:
    if str(properties.get("Type")) not in _DNS_TYPES:
        raise invalid(f"Type {properties.get('Type')!r} is not a DNS record type ({', '.join(_DNS_TYPES)})")


def _check_stage(properties: Mapping[str, Any]) -> None:
    if str(properties.get("StageName")) not in ("RELEASE", "TEST", "PRE"):
        raise invalid(f"StageName {properties.get('StageName')!r} must be RELEASE, TEST or PRE")


def _public_ip() -> str:
    return f"{_PUBLIC_DOCUMENTATION_NET}.{secrets.choice(range(1, 255))}"


def _vpc(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {"VRouterId": local_id("vrt"), "RouteTableId": local_id("vtb"), "VpcName": p.get("VpcName") or ""}


def _eip(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {
        "EipAddress": _public_ip(),
        "Isp": p.get("Isp") or "BGP",
        "ISP": p.get("Isp") or "BGP",
        "OrderId": numeric_id(15),
    }


def _nat(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {"SNatTableId": local_id("stb"), "ForwardTableId": local_id("ftb")}


def _resource_group(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {
        "Id": pid,
        "AccountId": ctx.account_id,
        "RegionStatuses": [{"RegionId": ctx.region, "Status": "OK"}],
    }


def _mns(kind: str) -> Any:
    name_key = "QueueName" if kind == "queues" else "TopicName"
    url_key = "QueueUrl" if kind == "queues" else "TopicUrl"

    def attributes(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
        return {
            name_key: pid,
            url_key: f"https://{ctx.account_id}.mns.{ctx.region}.aliyuncs.com/{kind}/{pid}",
            "ARN": arn(ctx, "mns", f"{kind}/{pid}"),
            "ARN.WithSlash": arn(ctx, "mns", f"/{kind}/{pid}"),
        }

    return attributes


def _subscription(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    topic, name = p.get("TopicName"), p.get("SubscriptionName")
    return {
        "SubscriptionUrl": f"https://{ctx.account_id}.mns.{ctx.region}.aliyuncs.com/topics/{topic}/subscriptions/{name}"
    }


def _group(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {"GroupId": pid, "SubDomain": f"{pid}-{ctx.region}.alicloudapi.com"}


def _app(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {"AppId": pid, "AppKey": numeric_id(9), "AppSecret": hex_id(32), "AppCode": hex_id(32)}


def _api(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {"ApiId": pid, "Arn": arn(ctx, "apigateway", f"apigroup/{p.get('GroupId')}/api/{pid}")}


def _mount_target(ctx: ProviderContext, p: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return {"MountTargetDomain": pid}


def _mount_target_id(ctx: ProviderContext, p: Mapping[str, Any]) -> str:
    """``<file system id>-<5 random>.<region>.nas.aliyuncs.com`` (the mount target's domain is its
    id; INFERRED from NAS's documented examples): the file system is read back from it."""
    return f"{p.get('FileSystemId')}-{random_suffix(5)}.{ctx.region}.nas.aliyuncs.com"


def _named(key: str) -> Any:
    return lambda ctx, p: str(p.get(key))


def _hex(ctx: ProviderContext, p: Mapping[str, Any]) -> str:
    return hex_id(32)


def _digits(length: int) -> Any:
    return lambda ctx, p: numeric_id(length)


def _composite(*keys: str) -> Any:
    """An id naming what a binding binds (``<group>:<stage>:<api>``), for what has no id of its own."""

    def build(ctx: ProviderContext, p: Mapping[str, Any]) -> str:
        parts = []
        for key in keys:
            value = p.get(key)
            parts.append(",".join(map(str, value)) if isinstance(value, list) else str(value or ""))
        return ":".join(parts)

    return build


VPC, APIGW, MNS, DNS, NAS = "VPC", "API Gateway", "MNS", "DNS", "NAS mount targets and access groups"

RULES: list[RecordRule] = [
    RecordRule("ALIYUN::ECS::VPC", VPC, attributes=_vpc, check=_check_vpc),
    RecordRule("ALIYUN::ECS::VSwitch", VPC, check=_check_vswitch),
    RecordRule("ALIYUN::ECS::SecurityGroup", "ECS security groups"),
    RecordRule("ALIYUN::ECS::SecurityGroupIngress", "ECS security groups", check=_check_port_range),
    RecordRule("ALIYUN::ECS::SecurityGroupEgress", "ECS security groups", check=_check_port_range),
    RecordRule("ALIYUN::ECS::SecurityGroupIngresses", "ECS security groups"),
    RecordRule("ALIYUN::ECS::SecurityGroupEgresses", "ECS security groups"),
    RecordRule("ALIYUN::VPC::EIP", "EIP", new_id=lambda ctx, p: local_id("eip"), attributes=_eip),
    RecordRule("ALIYUN::VPC::EIPAssociation", "EIP", new_id=_composite("AllocationId", "InstanceId")),
    RecordRule("ALIYUN::VPC::NatGateway", VPC, attributes=_nat),
    RecordRule("ALIYUN::VPC::SnatEntry", VPC),
    RecordRule("ALIYUN::VPC::ForwardEntry", VPC),
    RecordRule("ALIYUN::ResourceManager::ResourceGroup", "Resource Management", attributes=_resource_group),
    RecordRule("ALIYUN::DNS::DomainRecord", DNS, new_id=_digits(17), check=_check_dns_record),
    RecordRule("ALIYUN::DNS::Domain", DNS, new_id=_named("DomainName")),
    RecordRule("ALIYUN::DNS::DomainGroup", DNS, new_id=_hex),
    RecordRule("ALIYUN::MNS::Queue", MNS, new_id=_named("QueueName"), attributes=_mns("queues")),
    RecordRule("ALIYUN::MNS::Topic", MNS, new_id=_named("TopicName"), attributes=_mns("topics")),
    RecordRule(
        "ALIYUN::MNS::Subscription",
        MNS,
        new_id=_composite("TopicName", "SubscriptionName"),
        attributes=_subscription,
    ),
    RecordRule(
        "ALIYUN::ApiGateway::Group",
        APIGW,
        new_id=_hex,
        attributes=_group,
        publisher=API_GATEWAY_PUBLISHERS["group"],
    ),
    RecordRule("ALIYUN::ApiGateway::App", APIGW, new_id=_digits(9), attributes=_app),
    RecordRule(
        "ALIYUN::ApiGateway::Api",
        APIGW,
        new_id=_hex,
        attributes=_api,
        publisher=API_GATEWAY_PUBLISHERS["api"],
    ),
    RecordRule(
        "ALIYUN::ApiGateway::Deployment",
        APIGW,
        new_id=_composite("GroupId", "StageName", "ApiId"),
        check=_check_stage,
        publisher=API_GATEWAY_PUBLISHERS["deployment"],
    ),
    RecordRule(
        "ALIYUN::ApiGateway::Authorization",
        APIGW,
        new_id=_composite("GroupId", "StageName", "ApiIds", "AppIds"),
    ),
    RecordRule("ALIYUN::ApiGateway::Signature", APIGW, new_id=_hex),
    RecordRule(
        "ALIYUN::ApiGateway::SignatureBinding",
        APIGW,
        new_id=_composite("GroupId", "StageName", "SignatureId", "ApiIds"),
    ),
    RecordRule("ALIYUN::ApiGateway::TrafficControl", APIGW, new_id=_hex),
    RecordRule(
        "ALIYUN::ApiGateway::TrafficControlBinding",
        APIGW,
        new_id=_composite("GroupId", "StageName", "TrafficControlId", "ApiIds"),
    ),
    RecordRule("ALIYUN::ApiGateway::StageConfig", APIGW, new_id=_composite("GroupId", "StageName")),
    RecordRule("ALIYUN::ApiGateway::Plugin", APIGW, new_id=_hex),
    RecordRule(
        "ALIYUN::ApiGateway::PluginAttachment", APIGW, new_id=_composite("PluginId", "ApiId", "StageName")
    ),
    RecordRule("ALIYUN::ApiGateway::Backend", APIGW, new_id=_hex),
    RecordRule("ALIYUN::ApiGateway::CustomDomain", APIGW, new_id=_composite("GroupId", "DomainName")),
    RecordRule("ALIYUN::ApiGateway::LogConfig", APIGW, new_id=_composite("SlsProject", "SlsLogStore")),
    RecordRule("ALIYUN::ApiGateway::AccessControl", APIGW, new_id=lambda ctx, p: local_id("acl")),
    RecordRule("ALIYUN::NAS::MountTarget", NAS, new_id=_mount_target_id, attributes=_mount_target),
    RecordRule("ALIYUN::NAS::AccessGroup", NAS, new_id=_named("AccessGroupName")),
    RecordRule("ALIYUN::NAS::AccessRule", NAS, new_id=_digits(6)),
]

PROVIDERS: dict[str, type[ResourceProvider]] = {rule.type_name: provider_for(rule) for rule in RULES}
