"""The RAM API (version 2015-05-01) actions the SDKs and ROS use, over :class:`RamAccount`.

Parameter and answer names are RAM's (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-dir):
lists come as ``{"Users": {"User": [...]}}``. Every action first checks that the caller may
perform ``ram:<Action>`` on what it touches, named ``acs:ram::<account>:user/<name>``,
``group/<name>``, ``role/<name>`` or ``policy/<name>``.

Why the version is 2015-05-01 while STS's is 2015-04-01: RAM's RPC API has always carried
2015-05-01 (``aliyunsdkram``, ``alibabacloud_ram20150501``); both are accepted at the same
endpoint and told apart by the action.
"""

from __future__ import annotations

from typing import Any

from fcbackend.ram import names
from fcbackend.ram.account import RamAccount, public
from fcbackend.ram.calls import ActionCall, Handler, paginate

VERSION = "2015-05-01"


class RamApi:
    def __init__(self, account: RamAccount):
        self.account = account
        self.actions: dict[str, Handler] = {
            name[len("do_") :]: getattr(self, name) for name in dir(self) if name.startswith("do_")
        }

    def _res(self, kind: str, name: str) -> str:
        return names.resource(self.account.account_id, kind, name)

    # -- users ---------------------------------------------------------------------------------

    def do_CreateUser(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        user = self.account.create_user(
            name,
            display_name=call.optional("DisplayName") or "",
            email=call.optional("Email") or "",
            mobile_phone=call.optional("MobilePhone") or "",
            comments=call.optional("Comments") or "",
        )
        return {"User": public(user)}

    def do_GetUser(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        return {"User": public(self.account.user(name))}

    def do_UpdateUser(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        user = self.account.update_user(
            name,
            new_user_name=call.optional("NewUserName"),
            new_display_name=call.optional("NewDisplayName"),
            new_email=call.optional("NewEmail"),
            new_mobile_phone=call.optional("NewMobilePhone"),
            new_comments=call.optional("NewComments"),
        )
        return {"User": public(user)}

    def do_DeleteUser(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.delete_user(name)
        return {}

    def do_ListUsers(self, call: ActionCall) -> dict[str, Any]:
        call.permit("ram")
        page, more = paginate([public(u) for u in self.account.users()], call)
        return {"Users": {"User": page}, **more}

    # -- login profiles ------------------------------------------------------------------------

    def do_CreateLoginProfile(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        profile = self.account.create_login_profile(
            name,
            call.required("Password"),
            password_reset_required=bool(call.boolean("PasswordResetRequired")),
            mfa_bind_required=bool(call.boolean("MFABindRequired")),
        )
        return {"LoginProfile": public(profile)}

    def do_GetLoginProfile(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        return {"LoginProfile": public(self.account.login_profile(name))}

    def do_UpdateLoginProfile(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.update_login_profile(
            name,
            password=call.optional("Password"),
            password_reset_required=call.boolean("PasswordResetRequired"),
            mfa_bind_required=call.boolean("MFABindRequired"),
        )
        return {}

    def do_DeleteLoginProfile(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.delete_login_profile(name)
        return {}

    # -- access keys -----------------------------------------------------------------------------

    def do_CreateAccessKey(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        key = self.account.create_access_key(name)
        return {"AccessKey": {k: key[k] for k in ("AccessKeyId", "AccessKeySecret", "Status", "CreateDate")}}

    def do_ListAccessKeys(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.user(name)
        keys = [
            {k: key[k] for k in ("AccessKeyId", "Status", "CreateDate")}
            for key in self.account.access_keys(name)
        ]
        return {"AccessKeys": {"AccessKey": keys}}

    def do_UpdateAccessKey(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.update_access_key(name, call.required("UserAccessKeyId"), call.required("Status"))
        return {}

    def do_DeleteAccessKey(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.delete_access_key(name, call.required("UserAccessKeyId"))
        return {}

    # -- groups --------------------------------------------------------------------------------

    def do_CreateGroup(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("GroupName")
        call.permit("ram", self._res("group", name))
        return {"Group": public(self.account.create_group(name, comments=call.optional("Comments") or ""))}

    def do_GetGroup(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("GroupName")
        call.permit("ram", self._res("group", name))
        return {"Group": public(self.account.group(name))}

    def do_UpdateGroup(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("GroupName")
        call.permit("ram", self._res("group", name))
        group = self.account.update_group(
            name, new_name=call.optional("NewGroupName"), new_comments=call.optional("NewComments")
        )
        return {"Group": public(group)}

    def do_DeleteGroup(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("GroupName")
        call.permit("ram", self._res("group", name))
        self.account.delete_group(name)
        return {}

    def do_ListGroups(self, call: ActionCall) -> dict[str, Any]:
        call.permit("ram")
        page, more = paginate([public(g) for g in self.account.groups()], call)
        return {"Groups": {"Group": page}, **more}

    def do_AddUserToGroup(self, call: ActionCall) -> dict[str, Any]:
        user, group = call.required("UserName"), call.required("GroupName")
        call.permit("ram", self._res("group", group), self._res("user", user))
        self.account.add_user_to_group(user, group)
        return {}

    def do_RemoveUserFromGroup(self, call: ActionCall) -> dict[str, Any]:
        user, group = call.required("UserName"), call.required("GroupName")
        call.permit("ram", self._res("group", group), self._res("user", user))
        self.account.remove_user_from_group(user, group)
        return {}

    def do_ListGroupsForUser(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("UserName")
        call.permit("ram", self._res("user", name))
        self.account.user(name)
        return {"Groups": {"Group": self.account.groups_for_user(name)}}

    def do_ListUsersForGroup(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("GroupName")
        call.permit("ram", self._res("group", name))
        self.account.group(name)
        page, more = paginate(self.account.users_for_group(name), call)
        return {"Users": {"User": page}, **more}

    # -- roles ---------------------------------------------------------------------------------

    def do_CreateRole(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("RoleName")
        call.permit("ram", self._res("role", name))
        role = self.account.create_role(
            name,
            call.required("AssumeRolePolicyDocument"),
            description=call.optional("Description") or "",
            max_session_duration=call.integer("MaxSessionDuration"),
        )
        return {"Role": public(role)}

    def do_GetRole(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("RoleName")
        call.permit("ram", self._res("role", name))
        return {"Role": public(self.account.role(name))}

    def do_UpdateRole(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("RoleName")
        call.permit("ram", self._res("role", name))
        role = self.account.update_role(
            name,
            new_trust_policy=call.optional("NewAssumeRolePolicyDocument"),
            new_max_session_duration=call.integer("NewMaxSessionDuration"),
            new_description=call.optional("NewDescription"),
        )
        return {"Role": public(role)}

    def do_DeleteRole(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("RoleName")
        call.permit("ram", self._res("role", name))
        self.account.delete_role(name)
        return {}

    def do_ListRoles(self, call: ActionCall) -> dict[str, Any]:
        call.permit("ram")
        page, more = paginate([public(r) for r in self.account.roles()], call)
        return {"Roles": {"Role": page}, **more}

    # -- policies --------------------------------------------------------------------------------

    def do_CreatePolicy(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        policy = self.account.create_policy(
            name, call.required("PolicyDocument"), description=call.optional("Description") or ""
        )
        return {"Policy": public(policy)}

    def do_GetPolicy(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        policy_type = call.required("PolicyType")
        record = public(self.account.policy(name, policy_type))
        record["AttachmentCount"] = sum(
            len(v) for v in self.account.entities_for_policy(policy_type, name).values()
        )
        return {"Policy": record, "DefaultPolicyVersion": self.account.policy_document(name, policy_type)}

    def do_DeletePolicy(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        self.account.delete_policy(name)
        return {}

    def do_ListPolicies(self, call: ActionCall) -> dict[str, Any]:
        call.permit("ram")
        page, more = paginate([public(p) for p in self.account.policies(call.optional("PolicyType"))], call)
        return {"Policies": {"Policy": page}, **more}

    def do_CreatePolicyVersion(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        version = self.account.create_policy_version(
            name,
            call.required("PolicyDocument"),
            set_as_default=bool(call.boolean("SetAsDefault")),
            rotate_strategy=call.optional("RotateStrategy") or "None",
        )
        return {"PolicyVersion": version}

    def do_GetPolicyVersion(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        version = self.account.policy_document(name, call.required("PolicyType"), call.required("VersionId"))
        return {"PolicyVersion": version}

    def do_ListPolicyVersions(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        return {"PolicyVersions": {"PolicyVersion": self.account.versions(name, call.required("PolicyType"))}}

    def do_SetDefaultPolicyVersion(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        self.account.set_default_policy_version(name, call.required("VersionId"))
        return {}

    def do_DeletePolicyVersion(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        self.account.delete_policy_version(name, call.required("VersionId"))
        return {}

    # -- attachments -----------------------------------------------------------------------------

    def _attachment(self, call: ActionCall, principal_type: str, attach: bool) -> dict[str, Any]:
        policy_type, policy = call.required("PolicyType"), call.required("PolicyName")
        principal = call.required(f"{principal_type}Name")
        call.permit("ram", self._res("policy", policy), self._res(principal_type.lower(), principal))
        if attach:
            self.account.attach(policy_type, policy, principal_type, principal)
        else:
            self.account.detach(policy_type, policy, principal_type, principal)
        return {}

    def do_AttachPolicyToUser(self, call: ActionCall) -> dict[str, Any]:
        return self._attachment(call, "User", True)

    def do_DetachPolicyFromUser(self, call: ActionCall) -> dict[str, Any]:
        return self._attachment(call, "User", False)

    def do_AttachPolicyToGroup(self, call: ActionCall) -> dict[str, Any]:
        return self._attachment(call, "Group", True)

    def do_DetachPolicyFromGroup(self, call: ActionCall) -> dict[str, Any]:
        return self._attachment(call, "Group", False)

    def do_AttachPolicyToRole(self, call: ActionCall) -> dict[str, Any]:
        return self._attachment(call, "Role", True)

    def do_DetachPolicyFromRole(self, call: ActionCall) -> dict[str, Any]:
        return self._attachment(call, "Role", False)

    def _policies_for(self, call: ActionCall, principal_type: str) -> dict[str, Any]:
        name = call.required(f"{principal_type}Name")
        call.permit("ram", self._res(principal_type.lower(), name))
        {"User": self.account.user, "Group": self.account.group, "Role": self.account.role}[principal_type](
            name
        )
        return {"Policies": {"Policy": self.account.policies_for(principal_type, name)}}

    def do_ListPoliciesForUser(self, call: ActionCall) -> dict[str, Any]:
        return self._policies_for(call, "User")

    def do_ListPoliciesForGroup(self, call: ActionCall) -> dict[str, Any]:
        return self._policies_for(call, "Group")

    def do_ListPoliciesForRole(self, call: ActionCall) -> dict[str, Any]:
        return self._policies_for(call, "Role")

    def do_ListEntitiesForPolicy(self, call: ActionCall) -> dict[str, Any]:
        name = call.required("PolicyName")
        call.permit("ram", self._res("policy", name))
        found = self.account.entities_for_policy(call.required("PolicyType"), name)

        def rows(kind: str) -> list[dict[str, Any]]:
            return [{f"{kind}Name": a["PrincipalName"], "AttachDate": a["AttachDate"]} for a in found[kind]]

        return {
            "Users": {"User": rows("User")},
            "Groups": {"Group": rows("Group")},
            "Roles": {"Role": rows("Role")},
        }
