"""The engine's one doorway to the template language (``rosengine.template``).

Why a doorway: the engine needs four things from templates (load, prepare, an identity, and the
raw sections for outputs/description); keeping them here means the rest of the engine does not
care how the template package is laid out, and tests can substitute a stand-in (``use_api``).
"""

from __future__ import annotations

import uuid
from typing import Any

from rosengine import config

_api: Any = None


def use_api(api: Any) -> None:
    """Use another implementation of the Template API (tests); ``None`` restores the real one."""
    global _api
    _api = api


def api() -> Any:
    if _api is not None:
        return _api
    import rosengine.template as real

    if not hasattr(real, "prepare"):
        raise RuntimeError("rosengine.template does not provide prepare() yet")
    return real


def load(body: str, filename: str | None) -> Any:
    return api().load_template(body, filename=filename)


def new_stack_id() -> str:
    return str(uuid.uuid4())


def identity(stack_name: str, stack_id: str, stored: dict[str, Any] | None = None) -> Any:
    """A StackIdentity for pseudo parameters; ``stored`` is what the stack recorded at create."""
    stored = stored or {}
    ident_cls = api().StackIdentity
    fields = {
        "stack_name": stack_name,
        "stack_id": stack_id,
        "region": stored.get("region") or config.region(),
        "account_id": stored.get("account_id") or config.account_id(),
    }
    for key in ("tenant_id", "resource_group_id"):
        if stored.get(key):
            fields[key] = stored[key]
    try:
        return ident_cls(**fields)
    except TypeError:
        return ident_cls(stack_name=stack_name, stack_id=stack_id)


def identity_dict(ident: Any) -> dict[str, Any]:
    keys = ("stack_name", "stack_id", "region", "account_id", "tenant_id", "resource_group_id")
    return {k: getattr(ident, k) for k in keys if hasattr(ident, k)}


def pseudo_parameters(ident: Any) -> dict[str, Any]:
    """Pseudo parameters as GetStack lists them (spec 4, summary item 9)."""
    names = {
        "ALIYUN::StackName": "stack_name", "ALIYUN::StackId": "stack_id", "ALIYUN::Region": "region",
        "ALIYUN::AccountId": "account_id", "ALIYUN::TenantId": "tenant_id",
        "ALIYUN::ResourceGroupId": "resource_group_id",
    }
    found = {name: getattr(ident, attr) for name, attr in names.items() if getattr(ident, attr, None) is not None}
    found["ALIYUN::NoValue"] = "None"
    return found


def prepare(template: Any, parameters: dict[str, Any], ident: Any, *, stack_outputs: Any,
            previous_parameters: dict[str, Any] | None = None, static: bool = False) -> Any:
    return api().prepare(
        template, parameters, identity=ident, static=static,
        previous_parameters=previous_parameters, stack_outputs=stack_outputs,
    )


def section(template: Any, name: str) -> Any:
    data = getattr(template, "data", None) or {}
    return data.get(name) if isinstance(data, dict) else None


