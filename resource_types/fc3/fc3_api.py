"""What the ``ALIYUN::FC3::*`` providers share: ROS properties to FC 3.0 API JSON, ARNs.

ROS writes properties in PascalCase, the 2023-03-30 API wants camelCase; a few keys are spelled
differently (``CustomDns`` -> ``customDNS``, ``EnableTls`` -> ``enableTLS``, ``EnableWaf`` ->
``enableWAF``), user maps (environment variables, tracing params) keep their keys, and tags keep
the API's own capitalised ``Key``/``Value``.
"""

from __future__ import annotations

import json
from typing import Any

from resource_types.base import ProviderContext
from resource_types.fc.fc_api import drop_none

_SPECIAL_KEYS = {
    "CustomDns": "customDNS",
    "CustomDNS": "customDNS",
    "EnableTls": "enableTLS",
    "EnableTLS": "enableTLS",
    "EnableWaf": "enableWAF",
    "EnableWAF": "enableWAF",
    "HttpGetUrl": "httpGetUrl",
    "HTTPGetUrl": "httpGetUrl",
    "VSwitchIds": "vSwitchIds",
    "VSwitchId": "vSwitchId",
}
_FREE_FORM = frozenset({"EnvironmentVariables", "Params"})
_KEEP_CASE = frozenset({"Tags"})


def api_key(name: str) -> str:
    return _SPECIAL_KEYS.get(name) or (name[:1].lower() + name[1:])


def to_api(value: Any, *, key: str | None = None) -> Any:
    """PascalCase ROS values -> camelCase FC 3.0 JSON (recursively; user maps kept)."""
    if isinstance(value, dict):
        if key in _FREE_FORM:
            return {k: ("" if v is None else str(v)) for k, v in value.items()}
        if key in _KEEP_CASE:
            return dict(value)
        return {api_key(k): to_api(v, key=k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_api(v, key=key) for v in value]
    return value


def function_arn(ctx: ProviderContext, name: str) -> str:
    return f"acs:fc:{ctx.region}:{ctx.account_id}:functions/{name}"


def json_text(value: Any) -> str:
    """A map property the API takes as a JSON string (``TriggerConfig``, ``SessionAffinityConfig``);
    a string is passed as it is."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


__all__ = ["api_key", "drop_none", "function_arn", "json_text", "to_api"]
