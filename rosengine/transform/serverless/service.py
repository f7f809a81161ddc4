"""``Aliyun::Serverless::Service`` and its nested ``Aliyun::Serverless::Function``s.

What ROS documents for the expansion, and what is done here:

* the service becomes ``ALIYUN::FC::Service`` under the same logical id, named
  ``<stack>-<Service>-<suffix>`` unless ``ServiceName`` is given; ``InternetAccess`` defaults to
  true and ``LogConfig`` to empty project/logstore;
* ``Policies`` (and, as Funcraft did, a ``VpcConfig``/``NasConfig`` that needs the ENI
  permission) without a ``Role`` give a generated role ``<Service>Role`` the service uses;
* each function ``F`` becomes ``ALIYUN::FC::Function`` ``<Service>F`` named ``F`` (or its
  ``FunctionName``), depending on the service, with Funcraft's ``PATH``/``LD_LIBRARY_PATH``/
  ``PYTHONUSERBASE`` pointing into ``/code/.fun`` (values the function sets come first);
* ``Events`` become triggers (``events.py``), ``CodeUri`` becomes ``Code`` (``code.py``).
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import Expansion, Generated, generated_name
from rosengine.transform.serverless.code import code_property
from rosengine.transform.serverless.common import RESOURCE_KEYS, depends_of, inherited, properties_of
from rosengine.transform.serverless.events import expand_events
from rosengine.transform.serverless.network import NAS_POLICY, generate_nas, generate_vpc, is_auto
from rosengine.transform.serverless.policies import ENI_POLICY, generate_role, split_policies

SERVICE_TYPE = "Aliyun::Serverless::Service"
FUNCTION_TYPE = "Aliyun::Serverless::Function"
SERVICE_PROPERTIES = (
    "Description",
    "Role",
    "Policies",
    "InternetAccess",
    "VpcConfig",
    "LogConfig",
    "NasConfig",
    "TracingConfig",
    "ServiceName",
    "Tags",
    "DeletionForce",
    "OssMountConfig",
)
# Copied to ALIYUN::FC::Function as written.
FUNCTION_COPIED = (
    "Handler",
    "Runtime",
    "Initializer",
    "InitializationTimeout",
    "Description",
    "MemorySize",
    "Timeout",
    "InstanceConcurrency",
    "InstanceSoftConcurrency",
    "InstanceType",
    "InstanceLifecycleConfig",
    "AsyncConfiguration",
    "Layers",
    "CAPort",
    "CustomContainerConfig",
    "CustomRuntimeConfig",
    "CustomHealthCheckConfig",
    "CustomDNS",
    "Cpu",
    "DiskSize",
    "GpuMemorySize",
)
FUNCTION_PROPERTIES = (*FUNCTION_COPIED, "CodeUri", "EnvironmentVariables", "FunctionName")
FUNCTION_KEYS = ("Type", "Properties", "Events", "DependsOn", "Condition", "Metadata", "Description")
CONTAINER_RUNTIME = "custom-container"
# Handler of a custom-container function: FC does not use it, ALIYUN::FC::Function requires it.
CONTAINER_HANDLER = "index.handler"

FUN_PREFIX = "/code/.fun"
_SYSTEM_BIN = ("/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/sbin", "/bin")
FUN_PATH = ":".join(
    [*(f"{FUN_PREFIX}/root{p}" for p in _SYSTEM_BIN), f"{FUN_PREFIX}/python/bin", *_SYSTEM_BIN]
)
FUN_LD_LIBRARY_PATH = ":".join(
    [
        f"{FUN_PREFIX}/root/usr/lib",
        f"{FUN_PREFIX}/root/usr/lib/x86_64-linux-gnu",
        f"{FUN_PREFIX}/root/lib/x86_64-linux-gnu",
        f"{FUN_PREFIX}/root/usr/lib64",
        "/code",
        "/code/lib",
        "/usr/local/lib",
    ]
)
FUN_PYTHONUSERBASE = f"{FUN_PREFIX}/python"


def expand_service(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    props = properties_of(ctx, resource, path, f"service {logical_id!r}")
    ctx.unknown_keys(props, SERVICE_PROPERTIES, ppath, f"service {logical_id!r}")
    extra = inherited(resource)
    out: dict[str, Any] = {}
    if "ServiceName" in props:
        ctx.copy(out, logical_id, "ServiceName", props, ppath)
    else:
        out["ServiceName"] = generated_name(logical_id)
    for key in ("Description", "Role", "Tags", "DeletionForce", "OssMountConfig"):
        ctx.copy(out, logical_id, key, props, ppath)
    out["InternetAccess"] = props.get("InternetAccess", True)
    ctx.copy(out, logical_id, "InternetAccess", props, ppath)
    log = props.get("LogConfig", {"Project": "", "Logstore": ""})
    if is_auto(log):
        log = _auto_log(ctx, logical_id, ppath + ("LogConfig",), extra)
    out["LogConfig"] = log
    ctx.map(
        ("Resources", logical_id, "Properties", "LogConfig"),
        ppath + ("LogConfig",),
        keep_rest=log is props.get("LogConfig"),
    )
    tracing = props.get("TracingConfig")
    if tracing == "Enable":
        out["TracingConfig"] = {"Type": "Jaeger"}
        ctx.map(
            ("Resources", logical_id, "Properties", "TracingConfig"),
            ppath + ("TracingConfig",),
            keep_rest=False,
        )
    elif tracing not in (None, "Disable"):
        ctx.copy(out, logical_id, "TracingConfig", props, ppath)

    vpc, nas = props.get("VpcConfig"), props.get("NasConfig")
    if is_auto(vpc) or (is_auto(nas) and vpc is None):
        vpc = generate_vpc(
            ctx, logical_id, ppath + ("VpcConfig" if "VpcConfig" in props else "NasConfig",), extra
        )
        out["VpcConfig"] = vpc
    elif vpc is not None:
        ctx.copy(out, logical_id, "VpcConfig", props, ppath)
    if is_auto(nas):
        out["NasConfig"] = generate_nas(
            ctx, logical_id, vpc if isinstance(vpc, dict) else {}, ppath + ("NasConfig",), extra
        )
        ctx.map(("Resources", logical_id, "Properties", "NasConfig"), ppath + ("NasConfig",), keep_rest=False)
    elif nas is not None:
        ctx.copy(out, logical_id, "NasConfig", props, ppath)
    if "VpcConfig" in out and "VpcConfig" not in props:
        ctx.map(("Resources", logical_id, "Properties", "VpcConfig"), ppath + ("NasConfig",), keep_rest=False)

    depends = depends_of(resource.get("DependsOn"))
    if "Role" not in props:
        names, documents = (
            split_policies(ctx, props["Policies"], ppath + ("Policies",)) if "Policies" in props else ([], [])
        )
        if vpc is not None or nas is not None:
            where = ppath + ("VpcConfig" if vpc is not None and "VpcConfig" in props else "NasConfig",)
            names.append((ENI_POLICY, where))
            if is_auto(nas):
                names.append((NAS_POLICY, ppath + ("NasConfig",)))
        if names or documents:
            role_id, role_depends = generate_role(
                ctx,
                logical_id,
                trusted_service="fc.aliyuncs.com",
                description="Function Compute default role",
                system_policies=names,
                documents=documents,
                origin=ppath + ("Policies",) if "Policies" in props else ppath,
                extra=extra,
            )
            out["Role"] = {"Fn::GetAtt": [role_id, "Arn"]}
            depends += role_depends
    main_extra: dict[str, Any] = {
        **extra,
        **{k: resource[k] for k in ("Metadata", "Description") if k in resource},
    }
    if "DependsOn" in resource:
        ctx.map(("Resources", logical_id, "DependsOn"), path + ("DependsOn",), keep_rest=False)
    ctx.map(
        ("Resources", logical_id, "Properties"), ppath if "Properties" in resource else path, keep_rest=False
    )
    if not ctx.add(
        Generated(logical_id, "ALIYUN::FC::Service", out, path, depends_on=depends, extra=main_extra)
    ):
        return
    ctx.services[logical_id] = {}
    for name, entry in resource.items():
        if name in RESOURCE_KEYS:
            continue
        child = path + (name,)
        if isinstance(entry, dict) and entry.get("Type") == FUNCTION_TYPE:
            expand_function(ctx, logical_id, name, entry, extra)
        elif isinstance(entry, dict) and "Type" in entry:
            ctx.error(
                f"a service holds only functions ({FUNCTION_TYPE}); {name!r} is a {entry.get('Type')!r}",
                child + ("Type",),
            )
        else:
            ctx.error(
                f"service {logical_id!r} has an unknown key {name!r}: besides {', '.join(RESOURCE_KEYS)} a "
                f"service holds functions (mappings with Type: {FUNCTION_TYPE})",
                child,
            )


def _auto_log(ctx: Expansion, service: str, origin: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """``LogConfig: Auto``: a log project and logstore for the service (Funcraft named the project
    ``aliyun-fc-<region>-<id>``; here the id is the stack's)."""
    project, store = f"{service}LogProject", f"{service}Logstore"
    stack_part = {"Fn::Select": ["0", {"Fn::Split": ["-", {"Ref": "ALIYUN::StackId"}]}]}
    name = {"Fn::Join": ["-", ["aliyun-fc", {"Ref": "ALIYUN::Region"}, stack_part]]}
    ctx.add(
        Generated(
            project,
            "ALIYUN::SLS::Project",
            {"Name": name, "Description": f"logs of {service}"},
            origin,
            extra=dict(extra),
        )
    )
    ctx.add(
        Generated(
            store,
            "ALIYUN::SLS::Logstore",
            {"ProjectName": {"Fn::GetAtt": [project, "Name"]}, "LogstoreName": "function-log"},
            origin,
            extra=dict(extra),
        )
    )
    return {"Project": {"Fn::GetAtt": [project, "Name"]}, "Logstore": {"Fn::GetAtt": [store, "LogstoreName"]}}


def _environment(value: Any) -> Any:
    """Funcraft's variables under the function's own (which come first in PATH-like values)."""
    if value is not None and (not isinstance(value, dict) or function_name(value) is not None):
        return value  # a function or a wrong type: the schema check reports the latter
    env: dict[str, Any] = {k: _as_text(v) for k, v in (value or {}).items()}
    for key, default in (("PATH", FUN_PATH), ("LD_LIBRARY_PATH", FUN_LD_LIBRARY_PATH)):
        own = env.get(key)
        if isinstance(own, str) and own:
            env[key] = ":".join(dict.fromkeys([*own.split(":"), *default.split(":")]))
        elif own is not None and own != "":
            env[key] = {"Fn::Join": [":", [own, default]]}
        else:
            env[key] = default
    env.setdefault("PYTHONUSERBASE", FUN_PYTHONUSERBASE)
    return env


def _as_text(value: Any) -> Any:
    """Variables are text; Funcraft sent numbers and booleans as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def expand_function(
    ctx: Expansion, service_id: str, name: str, entry: dict[str, Any], inherited: dict[str, Any]
) -> None:
    path: Path = ("Resources", service_id, name)
    ppath = path + ("Properties",)
    function_id = f"{service_id}{name}"
    ctx.unknown_keys(entry, FUNCTION_KEYS, path, f"function {name!r}")
    props = properties_of(ctx, entry, path, f"function {name!r}")
    ctx.unknown_keys(props, FUNCTION_PROPERTIES, ppath, f"function {name!r}")
    runtime = props.get("Runtime")
    container = runtime == CONTAINER_RUNTIME
    required = ("Runtime", "CustomContainerConfig") if container else ("Handler", "Runtime", "CodeUri")
    missing = [key for key in required if key not in props]
    if missing:
        ctx.error(f"function {name!r} needs {', '.join(missing)}", ppath if "Properties" in entry else path)
    extra = {**inherited, **{k: entry[k] for k in ("Condition",) if k in entry}}
    out: dict[str, Any] = {"ServiceName": {"Fn::GetAtt": [service_id, "ServiceName"]}}
    if "FunctionName" in props:
        ctx.copy(out, function_id, "FunctionName", props, ppath)
    else:
        out["FunctionName"] = name
        ctx.map(("Resources", function_id, "Properties", "FunctionName"), path, keep_rest=False)
    for key in FUNCTION_COPIED:
        ctx.copy(out, function_id, key, props, ppath)
    if container and "Handler" not in props:
        out["Handler"] = CONTAINER_HANDLER
    if "CodeUri" in props:
        code = code_property(ctx, props["CodeUri"], runtime, ppath + ("CodeUri",), name)
        if code is not None:
            out["Code"] = code
            ctx.map(("Resources", function_id, "Properties", "Code"), ppath + ("CodeUri",), keep_rest=False)
    if container:
        ctx.copy(out, function_id, "EnvironmentVariables", props, ppath)
    else:
        out["EnvironmentVariables"] = _environment(props.get("EnvironmentVariables"))
        where = ppath + ("EnvironmentVariables",) if "EnvironmentVariables" in props else ppath
        ctx.map(
            ("Resources", function_id, "Properties", "EnvironmentVariables"),
            where,
            keep_rest="EnvironmentVariables" in props,
        )
    ctx.map(
        ("Resources", function_id, "Properties"), ppath if "Properties" in entry else path, keep_rest=False
    )
    depends = [service_id, *depends_of(entry.get("DependsOn"))]
    if "DependsOn" in entry:
        ctx.map(("Resources", function_id, "DependsOn"), path + ("DependsOn",), keep_rest=False)
    main_extra: dict[str, Any] = {**extra, **{k: entry[k] for k in ("Metadata", "Description") if k in entry}}
    if not ctx.add(
        Generated(function_id, "ALIYUN::FC::Function", out, path, depends_on=depends, extra=main_extra)
    ):
        return
    ctx.services[service_id][name] = function_id
    expand_events(ctx, entry.get("Events"), path + ("Events",), service_id, function_id, extra)
