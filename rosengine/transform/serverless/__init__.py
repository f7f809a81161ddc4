"""``Transform: Aliyun::Serverless-2018-04-03``: Funcraft's serverless resources -> plain ROS.

Entry point :func:`expand_serverless`: one pass over ``Resources``; each ``Aliyun::Serverless::*``
resource goes to its expander (service.py with its functions and events, api.py,
resources.py), anything else is kept as written. Other sections are kept as written. The facts
about each expansion (types, names, defaults) are in docs/transform.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rosengine.errors import UNKNOWN_RESOURCE_TYPE
from rosengine.template.nodes import function_name
from rosengine.transform.context import PASSED_ON_KEYS, Expansion
from rosengine.transform.serverless.api import expand_api
from rosengine.transform.serverless.attributes import rewrite_attributes
from rosengine.transform.serverless.resources import (
    expand_custom_domain,
    expand_flow,
    expand_log,
    expand_mns_topic,
    expand_table_store,
)
from rosengine.transform.serverless.service import FUNCTION_TYPE, expand_service

PREFIX = "Aliyun::Serverless::"
Expander = Callable[[Expansion, str, dict[str, Any]], None]
EXPANDERS: dict[str, Expander] = {
    "Aliyun::Serverless::Service": expand_service,
    "Aliyun::Serverless::Api": expand_api,
    "Aliyun::Serverless::CustomDomain": expand_custom_domain,
    "Aliyun::Serverless::Log": expand_log,
    "Aliyun::Serverless::MNSTopic": expand_mns_topic,
    "Aliyun::Serverless::TableStore": expand_table_store,
    "Aliyun::Serverless::Flow": expand_flow,
}
# Types that exist only nested in another (with the type that holds them).
NESTED = {
    FUNCTION_TYPE: "Aliyun::Serverless::Service",
    "Aliyun::Serverless::Log::Logstore": "Aliyun::Serverless::Log",
    "Aliyun::Serverless::TableStore::Table": "Aliyun::Serverless::TableStore",
}


def expand_serverless(data: dict[str, Any], base_dir: str) -> tuple[dict[str, Any], Expansion]:
    """The plain ROS template of ``data`` (without ``Transform``) and the expansion's record
    (errors, warnings, origins). ``data`` itself is not changed."""
    resources = data.get("Resources")
    resources = resources if isinstance(resources, dict) else {}
    ctx = Expansion(base_dir, set(resources))
    for logical_id, resource in resources.items():
        resource_type = resource.get("Type") if isinstance(resource, dict) else None
        if not isinstance(resource_type, str) or not resource_type.startswith(PREFIX):
            ctx.passthrough(logical_id, resource)
            continue
        path = ("Resources", logical_id)
        expander = EXPANDERS.get(resource_type)
        if expander is None:
            if resource_type in NESTED:
                ctx.error(
                    f"{resource_type} must be nested inside an {NESTED[resource_type]} (as a key of that "
                    "resource, next to its Type and Properties), not declared on its own",
                    path + ("Type",),
                )
            else:
                known = ", ".join([*EXPANDERS, *NESTED])
                ctx.error(
                    f"unknown serverless resource type {resource_type!r}; known types: {known}",
                    path + ("Type",),
                    UNKNOWN_RESOURCE_TYPE,
                )
            continue
        if "Count" in resource:
            ctx.error(
                "Count cannot be used on serverless resources (they expand to several resources)",
                path + ("Count",),
            )
        if function_name(resource.get("Properties")) is not None:
            ctx.error(
                "the Properties of a serverless resource must be written out, not a function",
                path + ("Properties",),
            )
            continue
        expander(ctx, logical_id, resource)
    expanded_resources: dict[str, Any] = ctx.resources
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "Transform":
            continue
        out[key] = expanded_resources if key == "Resources" else value
    if ctx.attribute_renames:
        out = {key: rewrite_attributes(value, ctx.attribute_renames) for key, value in out.items()}
    return out, ctx


__all__ = ["PASSED_ON_KEYS", "expand_serverless"]
