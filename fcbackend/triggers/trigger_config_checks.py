"""``validate_trigger_config(type, config) -> list[str]``: is this TriggerConfig usable?

Why here: the REST layer stores triggers and the template validator checks TriggerConfig; both
ask this module so a bad config is rejected the same way everywhere. Keys are matched
case-insensitively (docs/reference/fc-resource-types.md#trigger). Each message names the key path
(``triggerConfig.events[0]``) and what was expected.

Decisions: ``enable`` on timers is optional (default true) although the 2021 ROS doc marks it
required, because FC accepts timers without it; an OSS trigger may omit ``bucketName`` when its
SourceArn names the bucket.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from fcbackend.triggers.cron import CronError, parse_schedule
from fcbackend.triggers.model import lookup

TRIGGER_TYPES = (
    "timer",
    "http",
    "oss",
    "log",
    "mns_topic",
    "cdn_events",
    "tablestore",
    "eventbridge",
    "kafka",
    "rds",
)
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")
HTTP_AUTH_TYPES = ("anonymous", "function", "jwt")
CDN_EVENT_NAMES = (
    "CachedObjectsBlocked",
    "CachedObjectsPushed",
    "CachedObjectsRefreshed",
    "LogFileCreated",
    "CdnDomainStarted",
    "CdnDomainStopped",
    "CdnDomainAdded",
    "CdnDomainDeleted",
)
MNS_STRATEGIES = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
MNS_FORMATS = ("STREAM", "JSON")
P = "triggerConfig"


def validate_trigger_config(trigger_type: str, config: Any) -> list[str]:
    if trigger_type not in TRIGGER_TYPES:
        return [f"triggerType {trigger_type!r} is not supported; expected one of {', '.join(TRIGGER_TYPES)}"]
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return [f"{P} must be a JSON object, got a string that is not JSON"]
    if not isinstance(config, Mapping):
        return [f"{P} must be an object for a {trigger_type} trigger, got {type(config).__name__}"]
    return _VALIDATORS[trigger_type](config)


def _timer(c: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    expression = lookup(c, "cronExpression")
    if not isinstance(expression, str) or not expression.strip():
        errors.append(
            f"{P}.cronExpression is required: '@every 5m' or a 6-field cron such as '0 0/5 * * * *'"
        )
    else:
        try:
            parse_schedule(expression)
        except CronError as exc:
            errors.append(f"{P}.cronExpression: {exc}")
    errors += _bool(c, "enable", "enabled")
    payload = lookup(c, "payload")
    if payload is not None and not isinstance(payload, str):
        errors.append(f"{P}.payload must be a string (it is passed to the function as is)")
    return errors


def _http(c: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    auth = lookup(c, "authType")
    if not isinstance(auth, str) or auth.lower() not in HTTP_AUTH_TYPES:
        errors.append(f"{P}.authType is required: one of {', '.join(HTTP_AUTH_TYPES)}, got {auth!r}")
    methods = lookup(c, "methods")
    if not isinstance(methods, list) or not methods:
        errors.append(f"{P}.methods is required: a non-empty list of {', '.join(HTTP_METHODS)}")
    else:
        for i, method in enumerate(methods):
            if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
                errors.append(f"{P}.methods[{i}] {method!r} is not one of {', '.join(HTTP_METHODS)}")
    return errors + _bool(c, "disableURLInternet")


def _oss(c: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    bucket = lookup(c, "bucketName")
    if bucket is not None and (not isinstance(bucket, str) or not bucket):
        errors.append(f"{P}.bucketName must be a bucket name")
    events = lookup(c, "events")
    if not isinstance(events, list) or not events:
        errors.append(f"{P}.events is required: a list such as ['oss:ObjectCreated:*']")
    else:
        for i, name in enumerate(events):
            if not isinstance(name, str) or not name.startswith("oss:") or name.count(":") != 2:
                errors.append(
                    f"{P}.events[{i}] {name!r} must look like 'oss:ObjectCreated:PutObject' "
                    "or 'oss:ObjectRemoved:*'"
                )
    flt = lookup(c, "filter")
    if flt is not None:
        key = lookup(flt, "key") if isinstance(flt, Mapping) else None
        if not isinstance(flt, Mapping) or (key is not None and not isinstance(key, Mapping)):
            errors.append(f"{P}.filter must be {{key: {{prefix, suffix}}}}")
        elif isinstance(key, Mapping):
            for name in ("prefix", "suffix"):
                value = lookup(key, name)
                if value is not None and not isinstance(value, str):
                    errors.append(f"{P}.filter.key.{name} must be a string")
    return errors


def _log(c: Mapping[str, Any]) -> list[str]:
    errors = _required_map(c, "sourceConfig", ("logstore",))
    errors += _required_map(c, "logConfig", ("project", "logstore"))
    job = lookup(c, "jobConfig")
    if not isinstance(job, Mapping):
        errors.append(f"{P}.jobConfig is required: {{maxRetryTime (0-100), triggerInterval (seconds)}}")
    else:
        errors += _int_range(job, "maxRetryTime", 0, 100, "jobConfig.", required=True)
        errors += _int_range(job, "triggerInterval", 3, 600, "jobConfig.", required=True)
    if not isinstance(lookup(c, "functionParameter", default={}), Mapping):
        errors.append(f"{P}.functionParameter must be an object")
    if lookup(c, "enable") is None:
        errors.append(f"{P}.enable is required (true or false)")
    return errors + _bool(c, "enable")


def _tablestore(c: Mapping[str, Any]) -> list[str]:
    return [
        f"{P}.{k} is required (a non-empty string)"
        for k in ("instanceName", "tableName")
        if not isinstance(lookup(c, k), str) or not lookup(c, k)
    ]


def _mns(c: Mapping[str, Any]) -> list[str]:
    errors = _choice(c, "notifyStrategy", MNS_STRATEGIES, required=True)
    errors += _choice(c, "notifyContentFormat", MNS_FORMATS, required=True)
    tag = lookup(c, "filterTag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 16):
        errors.append(f"{P}.filterTag must be a string of at most 16 characters")
    return errors


def _cdn(c: Mapping[str, Any]) -> list[str]:
    errors = _choice(c, "eventName", CDN_EVENT_NAMES, required=True)
    for key in ("eventVersion", "notes"):
        value = lookup(c, key)
        if value is not None and not isinstance(value, str):
            errors.append(f"{P}.{key} must be a string")
    flt = lookup(c, "filter")
    if flt is None:
        errors.append(f"{P}.filter is required, e.g. {{'domain': ['www.example.com']}}")
    elif isinstance(flt, Mapping):
        for key, values in flt.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                errors.append(f"{P}.filter.{key} must be a list of strings")
    elif isinstance(flt, list):
        for i, item in enumerate(flt):
            if not isinstance(item, Mapping):
                errors.append(f"{P}.filter[{i}] must be an object such as {{Domain: 'www.example.com'}}")
    else:
        errors.append(f"{P}.filter must be a map of lists of strings")
    return errors


def _eventbridge(c: Mapping[str, Any]) -> list[str]:
    errors = _bool(c, "triggerEnable") + _bool(c, "asyncInvocationType")
    pattern = lookup(c, "eventRuleFilterPattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            errors.append(f"{P}.eventRuleFilterPattern must be a JSON string")
        else:
            try:
                json.loads(pattern)
            except ValueError as exc:
                errors.append(f"{P}.eventRuleFilterPattern is not valid JSON: {exc}")
    source = lookup(c, "eventSourceConfig")
    if source is not None:
        if not isinstance(source, Mapping):
            errors.append(f"{P}.eventSourceConfig must be {{eventSourceType, eventSourceParameters}}")
        elif lookup(source, "eventSourceType") is not None and not isinstance(
            lookup(source, "eventSourceType"), str
        ):
            errors.append(f"{P}.eventSourceConfig.eventSourceType must be a string")
    return errors


def _kafka(c: Mapping[str, Any]) -> list[str]:
    """Kafka sources reach FC through EventBridge; the local shape (UNCONFIRMED) is
    ``{instanceId, topic, consumerGroup, offsetReset: latest|earliest}``."""
    errors = [f"{P}.topic is required (the Kafka topic)"] if not isinstance(lookup(c, "topic"), str) else []
    errors += _choice(c, "offsetReset", ("latest", "earliest"), required=False)
    return errors


def _rds(c: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    objects = lookup(c, "subscriptionObjects")
    if objects is not None and (
        not isinstance(objects, list) or not all(isinstance(o, str) for o in objects)
    ):
        errors.append(f"{P}.subscriptionObjects must be a list of 'db.table' strings")
    errors += _int_range(c, "retry", 0, 3, "", required=False)
    errors += _int_range(c, "concurrency", 1, 5, "", required=False)
    errors += _choice(c, "eventFormat", ("json", "protobuf"), required=False)
    return errors


def _required_map(c: Mapping[str, Any], name: str, keys: tuple[str, ...]) -> list[str]:
    value = lookup(c, name)
    if not isinstance(value, Mapping):
        return [f"{P}.{name} is required: {{{', '.join(keys)}}}"]
    return [
        f"{P}.{name}.{k} is required (a non-empty string)"
        for k in keys
        if not isinstance(lookup(value, k), str) or not lookup(value, k)
    ]


def _bool(c: Mapping[str, Any], *names: str) -> list[str]:
    value = lookup(c, *names)
    if value is not None and not isinstance(value, bool):
        return [f"{P}.{names[0]} must be true or false, got {value!r}"]
    return []


def _choice(c: Mapping[str, Any], name: str, allowed: tuple[str, ...], *, required: bool) -> list[str]:
    value = lookup(c, name)
    if value is None:
        return [f"{P}.{name} is required: one of {', '.join(allowed)}"] if required else []
    if value not in allowed:
        return [f"{P}.{name} {value!r} is not one of {', '.join(allowed)}"]
    return []


def _int_range(
    c: Mapping[str, Any], name: str, low: int, high: int, prefix: str, *, required: bool
) -> list[str]:
    value = lookup(c, name)
    if value is None:
        return [f"{P}.{prefix}{name} is required: an integer {low}-{high}"] if required else []
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return [f"{P}.{prefix}{name} must be an integer {low}-{high}, got {value!r}"]
    return []


_VALIDATORS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "timer": _timer,
    "http": _http,
    "oss": _oss,
    "log": _log,
    "tablestore": _tablestore,
    "mns_topic": _mns,
    "cdn_events": _cdn,
    "eventbridge": _eventbridge,
    "kafka": _kafka,
    "rds": _rds,
}
