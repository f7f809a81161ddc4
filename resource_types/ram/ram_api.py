"""How the ``ALIYUN::RAM::*`` providers speak the RAM API: the client, error mapping, and the
``Policies``/``PolicyAttachments`` properties that Role, User and Group share.

``Policies`` (``[{PolicyName, PolicyDocument, Description}]``) are custom policies the resource
owns: created and attached with it, changed with it, detached and deleted with it (as ROS does).
``PolicyAttachments`` (``{System: [...], Custom: [...]}``) attach existing policies by name.
``DeletionForce: true`` detaches every policy (and, for a user, every group) before deleting, not
only the ones the template attached.

``IgnoreExisting: true`` adopts nothing: when an object of that name exists, creating it is
skipped, and since the provider cannot tell afterwards whether the stack created the object, such
a resource is never deleted with the stack (INFERRED reading of ROS's "if the role is not created
by ROS, it will be ignored during update and delete").
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from resource_types.base import ProviderError, ResourceNotFound
from rosengine.clients.ram import RamApiError, RamClient, RamNotFound

T = TypeVar("T")


@contextlib.contextmanager
def ram_errors(what: str) -> Iterator[None]:
    """RAM's error answers as the resource's failure reason ("creating role x: Code: message")."""
    try:
        yield
    except RamNotFound as exc:
        raise ResourceNotFound(f"{what}: {exc.code}: {exc.message}") from exc
    except RamApiError as exc:
        raise ProviderError(f"{what}: {exc.code}: {exc.message}", code=exc.code or "RamError") from exc


def ignoring_missing(call: Callable[..., T], *args: Any) -> T | None:
    """``call(*args)``, or None when what it touches is already gone (deletes are idempotent)."""
    try:
        return call(*args)
    except RamNotFound:
        return None


def exists(call: Callable[..., Any], *args: Any) -> bool:
    """Whether ``call(*args)`` (a get) finds its object."""
    try:
        call(*args)
    except RamNotFound:
        return False
    return True


def document_text(value: Any) -> str:
    """A policy document property (an object, or JSON text) as the API takes it."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _inline(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(p["PolicyName"]): p for p in properties.get("Policies") or [] if p.get("PolicyName")}


def _attachments(properties: dict[str, Any]) -> set[tuple[str, str]]:
    found = properties.get("PolicyAttachments") or {}
    return {(kind, str(name)) for kind in ("System", "Custom") for name in found.get(kind) or []}


def apply_policies(
    client: RamClient,
    principal_type: str,
    principal: str,
    properties: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> None:
    """Bring the principal's owned ``Policies`` and its ``PolicyAttachments`` from ``previous``
    (None on create) to ``properties``."""
    old_inline = _inline(previous or {})
    new_inline = _inline(properties)
    for name in old_inline.keys() - new_inline.keys():
        _drop_owned_policy(client, principal_type, principal, name)
    for name, policy in new_inline.items():
        document = document_text(policy.get("PolicyDocument") or {})
        before = old_inline.get(name)
        if before is None:
            if not (policy.get("IgnoreExisting") and exists(client.get_policy, name)):
                client.create_policy(name, document, policy.get("Description"))
            client.attach_policy(principal_type, principal, "Custom", name)
        elif document_text(before.get("PolicyDocument") or {}) != document:
            client.create_policy_version(name, document)
    old_attached = _attachments(previous or {})
    new_attached = _attachments(properties)
    for kind, name in old_attached - new_attached:
        ignoring_missing(client.detach_policy, principal_type, principal, kind, name)
    for kind, name in new_attached - old_attached:
        client.attach_policy(principal_type, principal, kind, name)


def _drop_owned_policy(client: RamClient, principal_type: str, principal: str, name: str) -> None:
    ignoring_missing(client.detach_policy, principal_type, principal, "Custom", name)
    delete_custom_policy(client, name)


def delete_custom_policy(client: RamClient, name: str, *, keep_if_attached: bool = True) -> None:
    """Delete a custom policy with its old versions. One still attached elsewhere stays when
    ``keep_if_attached`` (a role's own policy someone else attached too), else RAM's
    ``DeleteConflict.Policy.*`` error says where it is attached."""
    try:
        versions = client.list_policy_versions(name)
    except RamNotFound:
        return
    if keep_if_attached and any(client.list_entities_for_policy(name).values()):
        return
    for version in versions:
        if not version.get("IsDefaultVersion"):
            ignoring_missing(client.delete_policy_version, name, version["VersionId"])
    ignoring_missing(client.delete_policy, name)


def release_policies(
    client: RamClient, principal_type: str, principal: str, properties: dict[str, Any], *, force: bool
) -> None:
    """Before deleting a principal: detach what the template attached (``force``: everything) and
    delete the custom policies it owns."""
    if force:
        for policy in ignoring_missing(client.list_policies_for, principal_type, principal) or []:
            ignoring_missing(
                client.detach_policy, principal_type, principal, policy["PolicyType"], policy["PolicyName"]
            )
    for kind, name in _attachments(properties):
        ignoring_missing(client.detach_policy, principal_type, principal, kind, name)
    for name in _inline(properties):
        _drop_owned_policy(client, principal_type, principal, name)
