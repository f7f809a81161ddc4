"""Per-type validation of ``triggerConfig`` (fc-spec A.4).

Why keys are matched case-insensitively but stored as sent: ROS templates write PascalCase
(``CronExpression``), the API camelCase (``cronExpression``); the SDK's tests compare the echoed
config for equality with what they sent, so we check without caring about case and echo exactly.
"""

from __future__ import annotations

import re
from typing import Any

from fcbackend.api.errors import invalid

TRIGGER_TYPES = ("timer", "http", "oss", "log", "tablestore", "mns_topic", "cdn_events", "eventbridge", "rds")
HTTP_METHODS = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}
_EVERY = re.compile(r"^@every\s+\d+(\.\d+)?[smh](\d+[smh])*$")
_CDN_EVENTS = {"CachedObjectsBlocked", "CachedObjectsPushed", "CachedObjectsRefreshed", "LogFileCreated",
               "CdnDomainStarted", "CdnDomainStopped", "CdnDomainAdded", "CdnDomainDeleted"}


def get_ci(config: dict[str, Any], *names: str) -> Any:
    """The value of the first of ``names`` present in ``config``, ignoring key case."""
    lowered = {str(k).lower(): v for k, v in config.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _require(config: dict[str, Any], kind: str, *names: str) -> Any:
    value = get_ci(config, *names)
    if value is None:
        raise invalid(f"triggerConfig.{names[0]} is required for {kind} triggers")
    return value


def check_cron(expression: Any) -> None:
    if not isinstance(expression, str) or not expression.strip():
        raise invalid("triggerConfig.cronExpression must be a string such as '@every 5m' or '0 0/5 * * * *'")
    text = expression.strip()
    if text.startswith("CRON_TZ="):
        text = text.split(None, 1)[1] if " " in text else ""
    if text.startswith("@"):
        if not _EVERY.match(text):
            raise invalid(f"triggerConfig.cronExpression '{expression}' is invalid: use '@every <n>s|m|h'")
        return
    fields = text.split()
    if len(fields) != 6:
        raise invalid(
            f"triggerConfig.cronExpression '{expression}' must have 6 fields "
            "(second minute hour day-of-month month day-of-week) or be '@every <n>m'"
        )


def validate_trigger_config(trigger_type: str, config: Any) -> None:
    if trigger_type not in TRIGGER_TYPES:
        raise invalid(f"triggerType '{trigger_type}' is not supported; use one of {', '.join(TRIGGER_TYPES)}")
    if not isinstance(config, dict):
        raise invalid("triggerConfig must be an object")
    if trigger_type == "timer":
        check_cron(_require(config, "timer", "cronExpression"))
        enable = get_ci(config, "enable", "enabled")
        if enable is not None and not isinstance(enable, bool):
            raise invalid("triggerConfig.enable must be a boolean")
        payload = get_ci(config, "payload")
        if payload is not None and not isinstance(payload, str):
            raise invalid("triggerConfig.payload must be a string")
    elif trigger_type == "http":
        auth = _require(config, "http", "authType")
        if str(auth).lower() not in ("anonymous", "function", "jwt"):
            raise invalid(f"triggerConfig.authType must be 'anonymous' or 'function', got '{auth}'")
        methods = _require(config, "http", "methods")
        if not isinstance(methods, list) or not methods:
            raise invalid("triggerConfig.methods must be a non-empty list such as ['GET', 'POST']")
        bad = [m for m in methods if str(m).upper() not in HTTP_METHODS]
        if bad:
            raise invalid(f"triggerConfig.methods has unsupported methods {bad}; allowed: {sorted(HTTP_METHODS)}")
    elif trigger_type == "oss":
        events = _require(config, "oss", "events")
        if not isinstance(events, list) or not events or not all(str(e).startswith("oss:") for e in events):
            raise invalid("triggerConfig.events must be a non-empty list such as ['oss:ObjectCreated:*']")
    elif trigger_type == "log":
        for name in ("sourceConfig", "jobConfig", "logConfig"):
            if not isinstance(_require(config, "log", name), dict):
                raise invalid(f"triggerConfig.{name} must be an object")
    elif trigger_type == "mns_topic":
        strategy = get_ci(config, "notifyStrategy")
        if strategy is not None and strategy not in ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY"):
            raise invalid("triggerConfig.notifyStrategy must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY")
        fmt = get_ci(config, "notifyContentFormat")
        if fmt is not None and fmt not in ("STREAM", "JSON"):
            raise invalid("triggerConfig.notifyContentFormat must be STREAM or JSON")
    elif trigger_type == "cdn_events":
        name = _require(config, "cdn_events", "eventName")
        if name not in _CDN_EVENTS:
            raise invalid(f"triggerConfig.eventName must be one of {sorted(_CDN_EVENTS)}")
