"""ALIYUN::RAM::AttachPolicyToRole, AttachPolicyToUser and AttachPolicyToGroup providers: one
policy (``PolicyType`` System or Custom) attached to one principal
(https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-attachpolicytorole).

Every property is create-only, so an update never reaches the provider with changes. The
physical id is ``<PolicyType>:<PolicyName>:<principal>``; deleting detaches, and a policy or
principal that is gone already counts as detached.
"""

from __future__ import annotations

from typing import Any, ClassVar

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.ram.ram_api import ignoring_missing, ram_errors


class _AttachPolicy(ResourceProvider):
    principal_type: ClassVar[str]

    def _parts(self, properties: dict[str, Any]) -> tuple[str, str, str]:
        principal = str(properties[f"{self.principal_type}Name"])
        return principal, str(properties["PolicyType"]), str(properties["PolicyName"])

    def _attributes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {}

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        principal, policy_type, policy = self._parts(properties)
        what = f"attaching {policy_type} policy {policy} to {self.principal_type.lower()} {principal}"
        with ram_errors(what):
            ctx.client("ram").attach_policy(self.principal_type, principal, policy_type, policy)
        return ProviderResult(f"{policy_type}:{policy}:{principal}", self._attributes(properties))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        return ProviderResult(physical_id, self._attributes(properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        principal, policy_type, policy = self._parts(properties)
        what = f"detaching {policy_type} policy {policy} from {self.principal_type.lower()} {principal}"
        with ram_errors(what):
            ignoring_missing(
                ctx.client("ram").detach_policy, self.principal_type, principal, policy_type, policy
            )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        principal, policy_type, policy = self._parts(properties)
        attached = ignoring_missing(ctx.client("ram").list_policies_for, self.principal_type, principal) or []
        if not any(p["PolicyName"] == policy and p["PolicyType"] == policy_type for p in attached):
            return None
        attributes = self._attributes(properties)
        return read_answer(physical_id, f"{policy_type}:{policy}:{principal}", attributes)


class AttachPolicyToRoleProvider(_AttachPolicy):
    type_name = "ALIYUN::RAM::AttachPolicyToRole"
    principal_type = "Role"


class AttachPolicyToUserProvider(_AttachPolicy):
    type_name = "ALIYUN::RAM::AttachPolicyToUser"
    principal_type = "User"


class AttachPolicyToGroupProvider(_AttachPolicy):
    type_name = "ALIYUN::RAM::AttachPolicyToGroup"
    principal_type = "Group"

    def _attributes(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {"GroupName": properties.get("GroupName"), "PolicyName": properties.get("PolicyName")}
