"""A stack's identity: the values pseudo parameters resolve to, kept with the stack record.

Why stored: a stack keeps its region/account/tenant from create time, so an update or a
preview evaluates ``ALIYUN::Region`` and friends the same way even if the config changed since.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from rosengine import local_environment
from rosengine.functions.base import NO_VALUE
from rosengine.template import StackIdentity
from rosengine.template.scope import pseudo_values


def new_stack_id() -> str:
    return str(uuid.uuid4())


def stack_identity(stack_name: str, stack_id: str, stored: dict[str, Any] | None = None) -> StackIdentity:
    """The identity for pseudo parameters; ``stored`` is what the stack recorded at create."""
    stored = stored or {}
    optional = {key: stored[key] for key in ("tenant_id", "resource_group_id") if stored.get(key)}
    return StackIdentity(
        stack_name=stack_name,
        stack_id=stack_id,
        region=stored.get("region") or local_environment.region(),
        account_id=stored.get("account_id") or local_environment.account_id(),
        **optional,
    )


def identity_dict(ident: StackIdentity) -> dict[str, Any]:
    return dataclasses.asdict(ident)


def pseudo_parameters(ident: StackIdentity) -> dict[str, Any]:
    """Pseudo parameters as GetStack lists them (docs/reference/ros-template-language.md#pseudo-parameters):
    ``ALIYUN::NoValue`` shows as the string ``"None"``."""
    return {name: "None" if value is NO_VALUE else value for name, value in pseudo_values(ident).items()}
