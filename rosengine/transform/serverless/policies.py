"""``Policies`` -> a generated RAM role (``ALIYUN::RAM::Role``) with the policy documents inline
and one ``ALIYUN::RAM::AttachPolicyToRole`` per system policy name, the way ROS expands a
serverless service (its documented example: role ``<Service>Role`` with documents named
``<RoleName>Policy1..n`` whose ``Action``/``Resource`` are lists, attachments
``<PolicyName><Service>Role`` depending on the role). Flows and API groups use the same shape
with their own trusted service.
"""

from __future__ import annotations

from typing import Any

from rosengine.errors import Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import Expansion, Generated, generated_name, name_suffix

ENI_POLICY = "AliyunECSNetworkInterfaceManagementAccess"


def split_policies(
    ctx: Expansion, policies: Any, where: Path
) -> tuple[list[tuple[str, Path]], list[tuple[Any, Path]]]:
    """(system policy names, policy documents), each with where it was written."""
    names: list[tuple[str, Path]] = []
    documents: list[tuple[Any, Path]] = []
    items = policies if isinstance(policies, list) else [policies]
    for index, item in enumerate(items):
        path = where + (index,) if isinstance(policies, list) else where
        if isinstance(item, str) and item:
            names.append((item, path))
        elif isinstance(item, dict) and function_name(item) is None and "Statement" in item:
            documents.append((item, path))
        else:
            ctx.error(
                "each policy must be the name of a system policy (AliyunOSSReadOnlyAccess) or a policy "
                "document with Version and Statement",
                path,
            )
    return names, documents


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) or function_name(value) is not None else [value]


def normalised_document(document: dict[str, Any]) -> dict[str, Any]:
    """A policy document as ROS writes it in the expansion: Action and Resource always lists."""
    statements = document.get("Statement")
    if not isinstance(statements, list):
        return dict(document)
    out = []
    for statement in statements:
        if isinstance(statement, dict):
            statement = dict(statement)
            for key in ("Action", "Resource", "NotAction", "NotResource"):
                if key in statement:
                    statement[key] = _as_list(statement[key])
        out.append(statement)
    return {**document, "Statement": out}


def generate_role(
    ctx: Expansion,
    owner: str,
    *,
    trusted_service: str,
    description: str,
    system_policies: list[tuple[str, Path]],
    documents: list[tuple[Any, Path]],
    origin: Path,
    extra: dict[str, Any],
) -> tuple[str, list[str]]:
    """Add ``<owner>Role`` and its attachments; returns (role id, ids the owner depends on)."""
    role_id = f"{owner}Role"
    role_name = f"${{ALIYUN::StackName}}-{role_id}-{name_suffix(role_id)}"
    inline = []
    for number, (document, path) in enumerate(documents, start=1):
        inline.append(
            {
                "PolicyName": {"Fn::Sub": f"{role_name}Policy{number}"},
                "PolicyDocument": normalised_document(document),
            }
        )
        ctx.map(("Resources", role_id, "Properties", "Policies", number - 1), path, keep_rest=False)
    properties: dict[str, Any] = {
        "RoleName": generated_name(role_id),
        "Description": description,
        "AssumeRolePolicyDocument": {
            "Version": "1",
            "Statement": [
                {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": [trusted_service]}}
            ],
        },
    }
    if inline:
        properties["Policies"] = inline
    if not ctx.add(Generated(role_id, "ALIYUN::RAM::Role", properties, origin, extra=dict(extra))):
        return role_id, []
    depends = [role_id]
    seen: set[str] = set()
    for name, path in system_policies:
        if name in seen:
            continue
        seen.add(name)
        attachment_id = f"{name}{role_id}"
        attachment = Generated(
            attachment_id,
            "ALIYUN::RAM::AttachPolicyToRole",
            {"PolicyName": name, "PolicyType": "System", "RoleName": {"Fn::GetAtt": [role_id, "RoleName"]}},
            path,
            depends_on=[role_id],
            extra=dict(extra),
        )
        if ctx.add(attachment):
            depends.append(attachment_id)
    return role_id, depends
