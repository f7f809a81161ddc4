"""A function's ``Events`` -> one ``ALIYUN::FC::Trigger`` per event.

Each event ``E`` of function ``F`` in service ``S`` becomes the trigger ``SFE`` named ``E``. The
trigger configuration is what Funcraft sent to FC for each kind (camelCase keys, the API's
spelling), and the source ARN is built from the stack's region and account as Funcraft built it
from the profile's (``acs:oss:<region>:<account>:<bucket>``, ``acs:log:…:project/<project>`` …).
Defaults are Funcraft's: a log trigger is enabled unless ``Enable: false`` and its
``FunctionParameter`` is ``{}``; an MNS subscription is ``STREAM`` and ``BACKOFF_RETRY``. A timer
without ``Enable`` is enabled (FC's default for a timer created without the flag).
Funcraft also created an invocation role per trigger when none was given; ROS does not document
one and the local FC accepts triggers without it, so none is generated (``InvocationRole`` is
passed on when written).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rosengine.errors import Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import Expansion, Generated

COMMON = ("InvocationRole", "Qualifier")


def _arn(service: str, *parts: Any) -> dict[str, Any]:
    """``acs:<service>:<region>:<account>:<parts…>`` (parts may be functions)."""
    return {
        "Fn::Join": [
            "",
            [f"acs:{service}:", {"Ref": "ALIYUN::Region"}, ":", {"Ref": "ALIYUN::AccountId"}, ":", *parts],
        ]
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _timer(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    config = {"cronExpression": props.get("CronExpression"), "enable": props.get("Enable", True)}
    if "Payload" in props:
        config["payload"] = props["Payload"]
    return config, None


def _http(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    auth = props.get("AuthType")
    return {
        "authType": auth.lower() if isinstance(auth, str) else auth,
        "methods": props.get("Methods"),
    }, None


def _oss(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    bucket = props.get("BucketName")
    config = {"bucketName": bucket, "events": props.get("Events")}
    if props.get("Filter") is not None:
        config["filter"] = _lower_keys(props["Filter"], depth=2)
    return config, _arn("oss", bucket)


def _log(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    source, job, log = (_mapping(props.get(k)) for k in ("SourceConfig", "JobConfig", "LogConfig"))
    config = {
        "sourceConfig": {"logstore": source.get("Logstore")},
        "jobConfig": {"maxRetryTime": job.get("MaxRetryTime"), "triggerInterval": job.get("TriggerInterval")},
        "logConfig": {"project": log.get("Project"), "logstore": log.get("Logstore")},
        "functionParameter": props.get("FunctionParameter") or {},
        "enable": props.get("Enable", True),
    }
    return config, _arn("log", "project/", log.get("Project"))


def _rds(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    config = {
        key[:1].lower() + key[1:]: props[key]
        for key in ("SubscriptionObjects", "Retry", "Concurrency", "EventFormat")
        if key in props
    }
    return config, _arn("rds", "dbinstance/", props.get("InstanceId"))


def _mns(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    config = {
        "notifyContentFormat": props.get("NotifyContentFormat", "STREAM"),
        "notifyStrategy": props.get("NotifyStrategy", "BACKOFF_RETRY"),
    }
    if "FilterTag" in props:
        config["filterTag"] = props["FilterTag"]
    region = props.get("Region", {"Ref": "ALIYUN::Region"})
    arn = {
        "Fn::Join": [
            "",
            ["acs:mns:", region, ":", {"Ref": "ALIYUN::AccountId"}, ":/topics/", props.get("TopicName")],
        ]
    }
    return config, arn


def _tablestore(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    instance, table = props.get("InstanceName"), props.get("TableName")
    return {"instanceName": instance, "tableName": table}, _arn(
        "ots", "instance/", instance, "/table/", table
    )


def _cdn(props: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    config = {
        "eventName": props.get("EventName"),
        "eventVersion": props.get("EventVersion"),
        "notes": props.get("Notes"),
        "filter": _lower_keys(props.get("Filter"), depth=1),
    }
    arn = {"Fn::Join": ["", ["acs:cdn:*:", {"Ref": "ALIYUN::AccountId"}]]}
    return config, arn


def _lower_keys(value: Any, *, depth: int) -> Any:
    """``{Key: {Prefix: x}}`` -> ``{key: {prefix: x}}`` for ``depth`` levels (not functions)."""
    if depth <= 0 or not isinstance(value, dict) or function_name(value) is not None:
        return value
    return {str(k)[:1].lower() + str(k)[1:]: _lower_keys(v, depth=depth - 1) for k, v in value.items()}


# Funcraft event kind -> (FC trigger type, its properties, required ones, config builder)
KINDS: dict[
    str, tuple[str, tuple[str, ...], tuple[str, ...], Callable[[dict[str, Any]], tuple[dict[str, Any], Any]]]
] = {
    "Timer": ("timer", ("CronExpression", "Payload", "Enable"), ("CronExpression",), _timer),
    "HTTP": ("http", ("AuthType", "Methods"), ("AuthType", "Methods"), _http),
    "OSS": ("oss", ("BucketName", "Events", "Filter"), ("BucketName", "Events"), _oss),
    "Log": (
        "log",
        ("SourceConfig", "JobConfig", "LogConfig", "FunctionParameter", "Enable"),
        ("SourceConfig", "JobConfig", "LogConfig"),
        _log,
    ),
    "RDS": (
        "rds",
        ("InstanceId", "SubscriptionObjects", "Retry", "Concurrency", "EventFormat"),
        ("InstanceId", "SubscriptionObjects"),
        _rds,
    ),
    "MNSTopic": (
        "mns_topic",
        ("TopicName", "Region", "NotifyContentFormat", "NotifyStrategy", "FilterTag"),
        ("TopicName",),
        _mns,
    ),
    "TableStore": ("tablestore", ("InstanceName", "TableName"), ("InstanceName", "TableName"), _tablestore),
    "CDN": (
        "cdn_events",
        ("EventName", "EventVersion", "Notes", "Filter"),
        ("EventName", "EventVersion", "Notes", "Filter"),
        _cdn,
    ),
}
# Where each generated TriggerConfig key came from (for error positions).
_CONFIG_ORIGIN = {
    "cronExpression": "CronExpression",
    "enable": "Enable",
    "payload": "Payload",
    "authType": "AuthType",
    "methods": "Methods",
    "bucketName": "BucketName",
    "events": "Events",
    "filter": "Filter",
    "sourceConfig": "SourceConfig",
    "jobConfig": "JobConfig",
    "logConfig": "LogConfig",
    "functionParameter": "FunctionParameter",
    "subscriptionObjects": "SubscriptionObjects",
    "retry": "Retry",
    "concurrency": "Concurrency",
    "eventFormat": "EventFormat",
    "notifyContentFormat": "NotifyContentFormat",
    "notifyStrategy": "NotifyStrategy",
    "filterTag": "FilterTag",
    "instanceName": "InstanceName",
    "tableName": "TableName",
    "eventName": "EventName",
    "eventVersion": "EventVersion",
    "notes": "Notes",
}


def expand_events(
    ctx: Expansion, events: Any, where: Path, service_id: str, function_id: str, extra: dict[str, Any]
) -> None:
    if events is None:
        return
    if not isinstance(events, dict) or function_name(events) is not None:
        ctx.error("Events must be a mapping of trigger names to {Type, Properties}", where)
        return
    for name, event in events.items():
        path = where + (name,)
        if not isinstance(event, dict) or function_name(event) is not None:
            ctx.error(f"event {name!r} must be a mapping with Type and Properties", path)
            continue
        ctx.unknown_keys(event, ("Type", "Properties"), path, f"event {name!r}")
        kind = event.get("Type")
        if kind not in KINDS:
            ctx.error(
                f"event {name!r} has an unknown Type {kind!r}; the kinds of events are {', '.join(KINDS)}",
                path + ("Type",) if "Type" in event else path,
            )
            continue
        trigger_type, known, required, build = KINDS[kind]
        props = event.get("Properties")
        props_path = path + ("Properties",)
        if not isinstance(props, dict) or function_name(props) is not None:
            ctx.error(
                f"a {kind} event needs Properties: {', '.join(required)}",
                props_path if props is not None else path,
            )
            continue
        ctx.unknown_keys(props, known + COMMON, props_path, f"{kind} event {name!r}")
        missing = [key for key in required if key not in props]
        if missing:
            ctx.error(f"{kind} event {name!r} needs {', '.join(missing)}", props_path)
        config, source_arn = build(props)
        trigger_id = f"{function_id}{name}"
        properties: dict[str, Any] = {
            "ServiceName": {"Fn::GetAtt": [service_id, "ServiceName"]},
            "FunctionName": {"Fn::GetAtt": [function_id, "FunctionName"]},
            "TriggerName": name,
            "TriggerType": trigger_type,
            "TriggerConfig": {k: v for k, v in config.items() if v is not None},
        }
        if source_arn is not None:
            properties["SourceArn"] = source_arn
        base = ("Resources", trigger_id, "Properties")
        ctx.map(base + ("TriggerName",), path, keep_rest=False)
        ctx.map(base + ("TriggerType",), path + ("Type",), keep_rest=False)
        ctx.map(base + ("TriggerConfig",), props_path, keep_rest=False)
        for key in properties["TriggerConfig"]:
            original = _CONFIG_ORIGIN.get(key)
            if original is not None and original in props:
                ctx.map(base + ("TriggerConfig", key), props_path + (original,))
        for key in COMMON:
            ctx.copy(properties, trigger_id, key, props, props_path)
        ctx.add(
            Generated(
                trigger_id,
                "ALIYUN::FC::Trigger",
                properties,
                path,
                depends_on=[function_id],
                extra=dict(extra),
            )
        )
