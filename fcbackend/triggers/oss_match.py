"""Which OSS triggers an object event fires (docs/reference/fc-resource-types.md#trigger ``oss``): bucket,
event names with wildcards (``oss:ObjectCreated:*``), and the key filter ``{key: {prefix, suffix}}``."""

from __future__ import annotations

import fnmatch

from fcbackend.triggers.model import TriggerInfo, lookup


def trigger_bucket(trigger: TriggerInfo) -> str | None:
    bucket = trigger.setting("bucketName")
    if isinstance(bucket, str) and bucket:
        return bucket
    if trigger.source_arn and trigger.source_arn.startswith("acs:oss:"):
        return trigger.source_arn.rsplit(":", 1)[-1] or None
    return None


def event_matches(pattern: str, event_name: str) -> bool:
    """``pattern`` as configured (``oss:ObjectCreated:*``); ``event_name`` as delivered
    (``ObjectCreated:PutObject``)."""
    return fnmatch.fnmatchcase("oss:" + event_name, pattern)


def matches(trigger: TriggerInfo, *, bucket: str, key: str, event_name: str) -> bool:
    if trigger.type != "oss" or trigger_bucket(trigger) != bucket:
        return False
    patterns = trigger.setting("events", default=[]) or []
    if not any(isinstance(p, str) and event_matches(p, event_name) for p in patterns):
        return False
    key_filter = lookup(trigger.setting("filter", default={}) or {}, "key", default={}) or {}
    prefix = lookup(key_filter, "prefix", default="") or ""
    suffix = lookup(key_filter, "suffix", default="") or ""
    return key.startswith(prefix) and key.endswith(suffix)
