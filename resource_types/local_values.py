"""Values for resources that exist here only as records or placeholders: IDs in the real format
with a local marker, and a value of the declared JSON type for every attribute of a schema.

Why one module: a record (a VPC with no data plane) and a placeholder (an ECS instance nobody
emulates) must both answer ``Ref`` and every ``Fn::GetAtt`` their schema declares, with values a
template can use (a list where a list is declared, an ID that looks like one). Records add their
own realistic rules on top (:mod:`resource_types.records.rules`); everything else comes from here.

IDs carry ``lcl`` right after their prefix (``vpc-lcl3k9…``): they keep the cloud's shape, so
templates that split or match them still work, and nobody mistakes them for cloud IDs.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

from resource_types.base import ProviderContext, ResourceTypeSchema

LOCAL_MARKER = "lcl"
_ALPHABET = string.ascii_lowercase + string.digits

# ID attribute name -> the prefix the cloud gives such IDs (Alibaba Cloud's documented formats:
# vpc-, vsw-, sg-, vtb- (route table), vrt- (router), eip-, ngw-, stb-/ftb- (SNAT/forward tables),
# i- (ECS instance), d- (disk), m- (image), rg- (resource group), lb- (SLB), rm- (RDS)).
ID_PREFIXES: dict[str, str] = {
    "VpcId": "vpc",
    "VSwitchId": "vsw",
    "SecurityGroupId": "sg",
    "RouteTableId": "vtb",
    "VRouterId": "vrt",
    "AllocationId": "eip",
    "NatGatewayId": "ngw",
    "SNatTableId": "stb",
    "SnatTableId": "stb",
    "ForwardTableId": "ftb",
    "ForwardEntryId": "fwd",
    "SnatEntryId": "snat",
    "InstanceId": "i",
    "DiskId": "d",
    "ImageId": "m",
    "ResourceGroupId": "rg",
    "LoadBalancerId": "lb",
    "DBInstanceId": "rm",
    "KeyPairName": "kp",
    "NetworkInterfaceId": "eni",
    "CommandId": "c",
    "InvokeId": "t",
    "AutoScalingGroupId": "asg",
    "ScalingGroupId": "asg",
    "ScalingConfigurationId": "asc",
    "ClusterId": "c",
    "VpcEndpointId": "ep",
    "TransitRouterId": "tr",
    "CenId": "cen",
}


def random_suffix(length: int = 17) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def local_id(prefix: str, length: int = 17) -> str:
    """``<prefix>-lcl<random>``: the cloud's ID shape with the local marker."""
    return f"{prefix}-{LOCAL_MARKER}{random_suffix(max(length - len(LOCAL_MARKER), 4))}"


def hex_id(length: int = 32) -> str:
    """A hex ID (API Gateway group and API IDs are 32 hex characters)."""
    return secrets.token_hex((length + 1) // 2)[:length]


def numeric_id(length: int = 17) -> str:
    """A decimal ID (DNS record IDs, API Gateway app IDs); the first digit is never 0."""
    return str(secrets.choice(range(1, 10))) + "".join(
        secrets.choice(string.digits) for _ in range(length - 1)
    )


def _type_words(type_name: str) -> list[str]:
    """``ALIYUN::ECS::InstanceGroup`` -> ``['Instance', 'Group']``."""
    last = type_name.rsplit("::", 1)[-1]
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+", last) or [last]


def prefix_for(type_name: str, attribute: str | None = None) -> str:
    """The ID prefix of an attribute (``VpcId`` -> ``vpc``) or, failing that, of a type (the
    initials of its last segment: ``InstanceGroup`` -> ``ig``)."""
    if attribute and attribute in ID_PREFIXES:
        return ID_PREFIXES[attribute]
    if attribute and attribute.endswith("Ids") and attribute[:-1] in ID_PREFIXES:
        return ID_PREFIXES[attribute[:-1]]
    return "".join(word[0] for word in _type_words(type_name)).lower() or "res"


def primary_id_attribute(schema: ResourceTypeSchema) -> str | None:
    """The attribute that holds the resource's own ID (what ``Ref`` returns), by ROS's naming:
    ``<LastSegment>Id`` (``VpcId`` of ``ALIYUN::ECS::VPC``), else ``<LastSegment>Ids``, else the only
    attribute ending in ``Id``."""
    last = schema.type_name.rsplit("::", 1)[-1].lower()
    by_lower = {name.lower(): name for name in schema.attributes}
    for candidate in (f"{last}id", f"{last}ids", "id"):
        if candidate in by_lower:
            return by_lower[candidate]
    ids = [name for name in schema.attributes if name.endswith("Id")]
    return ids[0] if len(ids) == 1 else None


# Most generated attribute schemas carry no type (the ROS CDK does not say); ROS's naming does:
# ``PrivateIps``, ``InstanceIds``, ``HostNames`` are lists.
_LIST_ENDINGS = ("Ids", "Ips", "Names", "Addresses", "Arns", "List", "Tags", "Urls", "Domains")
_IP_ENDINGS = ("Ip", "IpAddress", "EipAddress", "Ips", "IpAddresses")
_DOCUMENTATION_NET = "192.0.2"  # TEST-NET-1 (RFC 5737): never a real host


def _json_type(name: str, spec: Any) -> str:
    kind = spec.get("type") if isinstance(spec, Mapping) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind:
        return str(kind)
    return "array" if name.endswith(_LIST_ENDINGS) else "string"


def documentation_ip() -> str:
    """An address of TEST-NET-1: shaped like an IP, never a real host."""
    return f"{_DOCUMENTATION_NET}.{secrets.choice(range(1, 255))}"


def value_of_type(kind: str, *, text: str) -> Any:
    """A value of a JSON-Schema type: ``text`` for strings, the type's neutral value otherwise."""
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return text


def arn(ctx: ProviderContext, service: str, resource: str) -> str:
    return f"acs:{service}:{ctx.region}:{ctx.account_id}:{resource}"


def attribute_values(
    schema: ResourceTypeSchema,
    ctx: ProviderContext,
    properties: Mapping[str, Any],
    physical_id: str,
    *,
    known: Mapping[str, Any] | None = None,
    filler: str = "",
) -> dict[str, Any]:
    """A value for every attribute of ``schema``: ``known`` first, then the property of the same
    name, the resource's own ID for its ID attribute, new local IDs for other ``...Id(s)``
    attributes, an ARN for ``Arn``, and the neutral value of the declared type otherwise
    (``filler`` for strings)."""
    known = known or {}
    primary = primary_id_attribute(schema)
    service = schema.type_name.split("::")[1].lower() if schema.type_name.count("::") >= 2 else "ros"
    values: dict[str, Any] = {}
    for name, spec in schema.attributes.items():
        kind = _json_type(name, spec)
        if name in known:
            values[name] = known[name]
        elif name in properties and properties[name] is not None:
            values[name] = properties[name]
        elif name == primary:
            values[name] = [physical_id] if kind == "array" else physical_id
        elif name.endswith("Ids") or (name.endswith("Id") and kind == "array"):
            values[name] = [local_id(prefix_for(schema.type_name, name))]
        elif name.endswith("Id") and kind == "string":
            values[name] = local_id(prefix_for(schema.type_name, name))
        elif name in ("Arn", "ARN") and kind == "string":
            values[name] = arn(ctx, service, f"{schema.type_name.rsplit('::', 1)[-1].lower()}/{physical_id}")
        elif name.endswith(_IP_ENDINGS):
            values[name] = [documentation_ip()] if kind == "array" else documentation_ip()
        elif kind == "array" and name.endswith(_LIST_ENDINGS) and not name.endswith("Tags"):
            values[name] = [filler or f"{ctx.logical_id}.{name}"]
        else:
            values[name] = value_of_type(kind, text=filler or f"{ctx.logical_id}.{name}")
    return values
