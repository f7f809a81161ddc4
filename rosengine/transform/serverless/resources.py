"""The other serverless resources: custom domains, log projects, MNS topics, Table Store, flows.

ROS does not document what these expand to (only that the transform supports them), so the
plain types are the ones their Funcraft deployment created through the cloud APIs, with the
names Funcraft gave them, so literal references keep working: a log project, logstore, topic,
Table Store instance or table is named by its logical id (Funcraft's rule; a trigger's
``LogConfig.Project: my-logs`` names the ``my-logs`` resource), children get the logical id
``<Parent><Child>``. A custom domain is named by its logical id unless ``DomainName`` is given; a
route naming a serverless service of the template is pointed at the generated service name.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import Expansion, Generated
from rosengine.transform.serverless.code import CODE_NOT_FOUND
from rosengine.transform.serverless.common import (
    RESOURCE_KEYS,
    depends_of,
    inherited,
    main_attributes,
    no_children,
    properties_of,
    read_text,
    reference_function,
)
from rosengine.transform.serverless.policies import generate_role, split_policies

# DomainName: Auto asked Funcraft for a temporary domain under its own zone; a local stack gets a
# name under the stack instead (INFERRED: any resolvable-looking name serves a local gateway).
AUTO_DOMAIN = "${ALIYUN::StackName}.${ALIYUN::AccountId}.${ALIYUN::Region}.fc.localhost"


def _children(
    ctx: Expansion, logical_id: str, resource: dict[str, Any], child_type: str
) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, entry in resource.items():
        if name in RESOURCE_KEYS:
            continue
        where: Path = ("Resources", logical_id, name)
        if isinstance(entry, dict) and entry.get("Type") == child_type:
            ctx.unknown_keys(
                entry, ("Type", "Properties", "Condition", "Metadata", "Description"), where, f"{name!r}"
            )
            found.append((name, entry))
        elif isinstance(entry, dict) and "Type" in entry:
            ctx.error(
                f"{resource.get('Type')} holds only {child_type}; {name!r} is a {entry.get('Type')!r}",
                where + ("Type",),
            )
        else:
            ctx.error(
                f"{logical_id!r} has an unknown key {name!r}: besides {', '.join(RESOURCE_KEYS)} it holds "
                f"mappings with Type: {child_type}",
                where,
            )
    return found


def _copy_all(
    ctx: Expansion, logical_id: str, props: dict[str, Any], ppath: Path, pairs: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for source, target in pairs:
        ctx.copy(out, logical_id, source, props, ppath, as_key=target)
    ctx.map(("Resources", logical_id, "Properties"), ppath, keep_rest=False)
    return out


# -- custom domains --------------------------------------------------------------------------
CUSTOM_DOMAIN_PROPERTIES = ("DomainName", "Protocol", "RouteConfig", "CertConfig", "ApiVersion")


def expand_custom_domain(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    no_children(ctx, logical_id, resource)
    props = properties_of(ctx, resource, path, f"custom domain {logical_id!r}")
    ctx.unknown_keys(props, CUSTOM_DOMAIN_PROPERTIES, ppath, f"custom domain {logical_id!r}")
    out = _copy_all(ctx, logical_id, props, ppath, (("Protocol", "Protocol"), ("ApiVersion", "ApiVersion")))
    domain = props.get("DomainName", logical_id)
    if domain == "Auto":
        domain = {"Fn::Sub": f"{_label(logical_id)}.{AUTO_DOMAIN}"}
    out = {"DomainName": domain, **out}
    ctx.map(
        ("Resources", logical_id, "Properties", "DomainName"),
        ppath + ("DomainName",) if "DomainName" in props else path,
    )
    depends = depends_of(resource.get("DependsOn"))
    if "RouteConfig" in props:
        routes = _routes(ctx, props["RouteConfig"], ppath + ("RouteConfig",), logical_id, depends)
        if routes is not None:
            out["RouteConfig"] = routes
    else:
        ctx.error(f"custom domain {logical_id!r} needs a RouteConfig with Routes", ppath)
    if "CertConfig" in props:
        out["CertConfig"] = _certificate(ctx, props["CertConfig"], ppath + ("CertConfig",))
        ctx.map(("Resources", logical_id, "Properties", "CertConfig"), ppath + ("CertConfig",))
    ctx.add(
        Generated(
            logical_id,
            "ALIYUN::FC::CustomDomain",
            out,
            path,
            depends_on=depends,
            extra=main_attributes(resource),
        )
    )


def _label(logical_id: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "-" for c in logical_id.lower()).strip("-") or "domain"


def _routes(
    ctx: Expansion, config: Any, where: Path, logical_id: str, depends: list[str]
) -> dict[str, Any] | None:
    if not isinstance(config, dict) or function_name(config) is not None:
        if function_name(config) is not None:
            return config
        ctx.error("RouteConfig must be a mapping with Routes: {path: {ServiceName, FunctionName}}", where)
        return None
    key = "Routes" if "Routes" in config else "routes"
    routes = config.get(key)
    ctx.unknown_keys(config, ("Routes", "routes"), where, "RouteConfig")
    if isinstance(routes, list) or function_name(routes) is not None:
        return {"Routes": routes}  # already the ROS list form
    if not isinstance(routes, dict):
        ctx.error("RouteConfig needs Routes: a mapping of paths to {ServiceName, FunctionName}", where)
        return None
    out = []
    for index, (route_path, target) in enumerate(routes.items()):
        at = where + (key, route_path)
        ctx.map(("Resources", logical_id, "Properties", "RouteConfig", "Routes", index), at, keep_rest=False)
        if not isinstance(target, dict):
            ctx.error(f"route {route_path!r} must be a mapping with ServiceName and FunctionName", at)
            continue
        service = target.get("ServiceName", target.get("serviceName"))
        function = target.get("FunctionName", target.get("functionName"))
        if service is None or function is None:
            ctx.error(f"route {route_path!r} needs ServiceName and FunctionName", at)
        service, function = reference_function(ctx, service, function, depends)
        route = {"Path": route_path, "ServiceName": service, "FunctionName": function}
        if "Qualifier" in target:
            route["Qualifier"] = target["Qualifier"]
        out.append(route)
    return {"Routes": out}


def _certificate(ctx: Expansion, config: Any, where: Path) -> Any:
    """Funcraft accepted the key and certificate as PEM text or as files next to the template."""
    if not isinstance(config, dict) or function_name(config) is not None:
        return config
    out = dict(config)
    for key in ("PrivateKey", "Certificate"):
        value = config.get(key)
        if isinstance(value, str) and value and "-----BEGIN" not in value and "\n" not in value:
            full = ctx.resolve_file(value, where + (key,), f"CertConfig.{key}")
            if full is None:
                continue
            try:
                with open(full, encoding="utf-8") as handle:
                    out[key] = handle.read()
            except OSError as exc:
                ctx.warning(
                    f"CertConfig.{key}: cannot read {value!r} ({full}): {exc.strerror or exc}; "
                    "the custom domain "
                    "cannot be created until it exists",
                    where + (key,),
                    CODE_NOT_FOUND,
                )
    return out


# -- log projects ----------------------------------------------------------------------------
def expand_log(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    props = properties_of(ctx, resource, path, f"log project {logical_id!r}")
    ctx.unknown_keys(props, ("Description",), ppath, f"log project {logical_id!r}")
    out = {"Name": logical_id, **_copy_all(ctx, logical_id, props, ppath, (("Description", "Description"),))}
    extra = inherited(resource)
    if not ctx.add(
        Generated(
            logical_id,
            "ALIYUN::SLS::Project",
            out,
            path,
            depends_on=depends_of(resource.get("DependsOn")),
            extra=main_attributes(resource),
        )
    ):
        return
    for name, entry in _children(ctx, logical_id, resource, "Aliyun::Serverless::Log::Logstore"):
        child_id, where = f"{logical_id}{name}", path + (name,)
        child_props = properties_of(ctx, entry, where, f"logstore {name!r}")
        cpath = where + ("Properties",)
        ctx.unknown_keys(child_props, ("TTL", "ShardCount", "shardCount"), cpath, f"logstore {name!r}")
        store = {"ProjectName": {"Fn::GetAtt": [logical_id, "Name"]}, "LogstoreName": name}
        store.update(
            _copy_all(
                ctx,
                child_id,
                child_props,
                cpath,
                (("TTL", "TTL"), ("ShardCount", "ShardCount"), ("shardCount", "ShardCount")),
            )
        )
        ctx.attribute_renames[(child_id, "Name")] = (child_id, "LogstoreName")
        ctx.add(
            Generated(
                child_id,
                "ALIYUN::SLS::Logstore",
                store,
                where,
                depends_on=[logical_id],
                extra={**extra, **main_attributes(entry)},
            )
        )


# -- MNS topics ------------------------------------------------------------------------------
def expand_mns_topic(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    """``Region`` is not passed on: a stack creates its resources in its own region (Funcraft
    could create the topic elsewhere; a trigger's ``Region`` still names where to subscribe)."""
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    no_children(ctx, logical_id, resource)
    props = properties_of(ctx, resource, path, f"topic {logical_id!r}")
    ctx.unknown_keys(
        props, ("Region", "MaximumMessageSize", "LoggingEnabled"), ppath, f"topic {logical_id!r}"
    )
    out = {"TopicName": logical_id}
    out.update(
        _copy_all(
            ctx,
            logical_id,
            props,
            ppath,
            (("MaximumMessageSize", "MaximumMessageSize"), ("LoggingEnabled", "LoggingEnabled")),
        )
    )
    ctx.attribute_renames[(logical_id, "ARN.WithSlash")] = (logical_id, "ArnWithSlash")
    ctx.add(
        Generated(
            logical_id,
            "ALIYUN::MNS::Topic",
            out,
            path,
            depends_on=depends_of(resource.get("DependsOn")),
            extra=main_attributes(resource),
        )
    )


# -- Table Store -----------------------------------------------------------------------------
def expand_table_store(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    props = properties_of(ctx, resource, path, f"Table Store instance {logical_id!r}")
    ctx.unknown_keys(props, ("ClusterType", "Description"), ppath, f"Table Store instance {logical_id!r}")
    out = {"InstanceName": logical_id}
    out.update(
        _copy_all(
            ctx, logical_id, props, ppath, (("ClusterType", "ClusterType"), ("Description", "Description"))
        )
    )
    extra = inherited(resource)
    if not ctx.add(
        Generated(
            logical_id,
            "ALIYUN::OTS::Instance",
            out,
            path,
            depends_on=depends_of(resource.get("DependsOn")),
            extra=main_attributes(resource),
        )
    ):
        return
    for name, entry in _children(ctx, logical_id, resource, "Aliyun::Serverless::TableStore::Table"):
        child_id, where = f"{logical_id}{name}", path + (name,)
        child_props = properties_of(ctx, entry, where, f"table {name!r}")
        cpath = where + ("Properties",)
        ctx.unknown_keys(child_props, ("PrimaryKeyList", "ProvisionedThroughput"), cpath, f"table {name!r}")
        table: dict[str, Any] = {
            "InstanceName": {"Fn::GetAtt": [logical_id, "InstanceName"]},
            "TableName": name,
        }
        table.update(_copy_all(ctx, child_id, child_props, cpath, (("PrimaryKeyList", "PrimaryKey"),)))
        if "PrimaryKeyList" not in child_props:
            ctx.error(
                f"table {name!r} needs a PrimaryKeyList: [{{Name, Type: STRING|INTEGER|BINARY}}]", cpath
            )
        throughput = child_props.get("ProvisionedThroughput")
        if isinstance(throughput, dict) and function_name(throughput) is None:
            table["ReservedThroughput"] = {
                "Read": throughput.get("ReadCapacityUnits", 0),
                "Write": throughput.get("WriteCapacityUnits", 0),
            }
            ctx.map(
                ("Resources", child_id, "Properties", "ReservedThroughput"),
                cpath + ("ProvisionedThroughput",),
                keep_rest=False,
            )
        ctx.add(
            Generated(
                child_id,
                "ALIYUN::OTS::Table",
                table,
                where,
                depends_on=[logical_id],
                extra={**extra, **main_attributes(entry)},
            )
        )


# -- flows -----------------------------------------------------------------------------------
FLOW_PROPERTIES = ("Name", "Description", "Definition", "DefinitionUri", "Role", "Policies")


def expand_flow(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    """``ALIYUN::FNF::Flow``; without ``Role``, ``Policies`` give a role trusted by Serverless
    Workflow (``fnf.aliyuncs.com``), generated like a service's."""
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    no_children(ctx, logical_id, resource)
    props = properties_of(ctx, resource, path, f"flow {logical_id!r}")
    ctx.unknown_keys(props, FLOW_PROPERTIES, ppath, f"flow {logical_id!r}")
    out = {"Name": props.get("Name", logical_id)}
    out.update(
        _copy_all(
            ctx,
            logical_id,
            props,
            ppath,
            (
                ("Name", "Name"),
                ("Description", "Description"),
                ("Definition", "Definition"),
                ("Role", "RoleArn"),
            ),
        )
    )
    if "Definition" not in props:
        if "DefinitionUri" in props:
            definition = read_text(ctx, props["DefinitionUri"], ppath + ("DefinitionUri",), "DefinitionUri")
            if definition is not None:
                out["Definition"] = definition
                ctx.map(
                    ("Resources", logical_id, "Properties", "Definition"),
                    ppath + ("DefinitionUri",),
                    keep_rest=False,
                )
        else:
            ctx.error(f"flow {logical_id!r} needs a Definition or a DefinitionUri", ppath)
    depends = depends_of(resource.get("DependsOn"))
    if "Role" not in props and "Policies" in props:
        names, documents = split_policies(ctx, props["Policies"], ppath + ("Policies",))
        role_id, role_depends = generate_role(
            ctx,
            logical_id,
            trusted_service="fnf.aliyuncs.com",
            description="Serverless Workflow default role",
            system_policies=names,
            documents=documents,
            origin=ppath + ("Policies",),
            extra=inherited(resource),
        )
        out["RoleArn"] = {"Fn::GetAtt": [role_id, "Arn"]}
        depends += role_depends
    ctx.add(
        Generated(
            logical_id, "ALIYUN::FNF::Flow", out, path, depends_on=depends, extra=main_attributes(resource)
        )
    )
