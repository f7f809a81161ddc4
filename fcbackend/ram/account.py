"""The local account's RAM objects and the rules that keep them consistent.

One :class:`RamAccount` holds users (with login profiles and access keys), groups and their
members, roles (with trust policies), custom policies (with versions) and the attachments of
custom and system policies to users, groups and roles. Methods take and return the RAM API's
shapes (``UserName``, ``CreateDate`` ...), so the RPC layer only moves parameters; every write runs
in one store transaction, and every rule RAM enforces on deletion (a user with keys, a policy still
attached ...) is checked inside it, so nothing is left half done.

``generation`` counts writes: the access layer drops its caches (resolved keys, compiled policy
sets) whenever it moves.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from fcbackend.ram import names
from fcbackend.ram.errors import RamError, already_exists, delete_conflict, invalid, missing, not_exist
from fcbackend.ram.policy import CompiledPolicy, PolicyDocumentError, PolicyKind, compile_policy
from fcbackend.ram.store import RamStore
from fcbackend.ram.system_policies import SYSTEM_POLICIES, system_policy

USER, LOGIN, KEY, GROUP, MEMBER, ROLE, POLICY, VERSION, ATTACHMENT = (
    "user",
    "login_profile",
    "access_key",
    "group",
    "member",
    "role",
    "policy",
    "policy_version",
    "attachment",
)
PRINCIPAL_TYPES = ("User", "Group", "Role")
MAX_ACCESS_KEYS = 2  # per user (RAM's limit)
MAX_POLICY_VERSIONS = 5
MIN_SESSION, MAX_SESSION, DEFAULT_SESSION = 3600, 43200, 3600  # a role's MaxSessionDuration


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _policy_error(parameter: str, exc: PolicyDocumentError) -> RamError:
    """Invalid documents are refused at create, naming the offending statement. Code INFERRED:
    RAM documents ``MalformedPolicyDocument`` for CreatePolicy/CreateRole grammar errors."""
    return RamError("MalformedPolicyDocument", f"The parameter {parameter} is invalid: {exc.message}", 400)


class RamAccount:
    def __init__(self, store: RamStore, *, account_id: str, now: Callable[[], float]):
        self.store = store
        self.account_id = account_id
        self._now = now
        self.generation = 0

    def _changed(self) -> None:
        self.generation += 1

    def _date(self) -> str:
        return names.iso_time(self._now())

    # -- users ---------------------------------------------------------------------------------

    def user(self, name: str) -> dict[str, Any]:
        doc = self.store.get(USER, names.key(names.check_name("UserName", name)))
        if doc is None:
            raise not_exist("User", name)
        return doc

    def create_user(
        self,
        name: str,
        *,
        display_name: str = "",
        email: str = "",
        mobile_phone: str = "",
        comments: str = "",
    ) -> dict[str, Any]:
        names.check_name("UserName", name)
        now = self._date()
        doc = {
            "UserId": names.new_numeric_id(16),
            "UserName": name,
            "DisplayName": names.check_length("DisplayName", display_name, 128) or name,
            "Email": names.check_length("Email", email, 128),
            "MobilePhone": names.check_length("MobilePhone", mobile_phone, 32),
            "Comments": names.check_length("Comments", comments, 128),
            "CreateDate": now,
            "UpdateDate": now,
        }
        with self.store.transaction():
            if not self.store.insert(USER, names.key(name), doc):
                raise already_exists("User", name)
            self._changed()
        return doc

    def update_user(self, name: str, **changes: str | None) -> dict[str, Any]:
        """``changes``: new_user_name, new_display_name, new_email, new_mobile_phone, new_comments."""
        with self.store.transaction():
            doc = self.user(name)
            new_name = changes.get("new_user_name")
            for field, limit, value in (
                ("DisplayName", 128, changes.get("new_display_name")),
                ("Email", 128, changes.get("new_email")),
                ("MobilePhone", 32, changes.get("new_mobile_phone")),
                ("Comments", 128, changes.get("new_comments")),
            ):
                if value is not None:
                    doc[field] = names.check_length(f"New{field}", value, limit)
            doc["UpdateDate"] = self._date()
            if new_name and names.key(new_name) != names.key(name):
                names.check_name("UserName", new_name)
                if self.store.get(USER, names.key(new_name)) is not None:
                    raise already_exists("User", new_name)
                self._rename_principal("User", doc["UserName"], new_name)
                self.store.delete(USER, names.key(name))
                doc["UserName"] = new_name
            elif new_name:
                doc["UserName"] = new_name
            self.store.put(USER, names.key(doc["UserName"]), doc)
            self._changed()
        return doc

    def _rename_principal(self, principal_type: str, old: str, new: str) -> None:
        """Carry a renamed user's keys, login profile, memberships and attachments along."""
        if principal_type == "User":
            for access_key in self.store.list(KEY):
                if names.key(access_key["UserName"]) == names.key(old):
                    access_key["UserName"] = new
                    self.store.put(KEY, access_key["AccessKeyId"], access_key)
            profile = self.store.get(LOGIN, names.key(old))
            if profile is not None:
                self.store.delete(LOGIN, names.key(old))
                profile["UserName"] = new
                self.store.put(LOGIN, names.key(new), profile)
            for member in self.store.list(MEMBER):
                if names.key(member["UserName"]) == names.key(old):
                    self.store.delete(MEMBER, self._member_key(member["GroupName"], old))
                    member["UserName"] = new
                    self.store.put(MEMBER, self._member_key(member["GroupName"], new), member)
        if principal_type == "Group":
            for member in self.store.list(MEMBER, names.key(old) + "/"):
                self.store.delete(MEMBER, self._member_key(old, member["UserName"]))
                member["GroupName"] = new
                self.store.put(MEMBER, self._member_key(new, member["UserName"]), member)
        for attachment in self.store.list(ATTACHMENT, f"{principal_type}/{names.key(old)}/"):
            self.store.delete(ATTACHMENT, self._attachment_key(attachment))
            attachment["PrincipalName"] = new
            self.store.put(ATTACHMENT, self._attachment_key(attachment), attachment)

    def delete_user(self, name: str) -> None:
        with self.store.transaction():
            doc = self.user(name)
            if self.access_keys(doc["UserName"]):
                raise delete_conflict(
                    "User.AccessKey", f"The user {name} still has access keys; delete them first."
                )
            if self.groups_for_user(doc["UserName"]):
                raise delete_conflict("User.Group", f"The user {name} is still in groups; remove it first.")
            if self.policies_for("User", doc["UserName"]):
                raise delete_conflict(
                    "User.Policy", f"The user {name} still has policies attached; detach them first."
                )
            self.store.delete(LOGIN, names.key(name))
            self.store.delete(USER, names.key(name))
            self._changed()

    def users(self) -> list[dict[str, Any]]:
        return self.store.list(USER)

    # -- login profiles ----------------------------------------------------------------------------

    @staticmethod
    def _hash_password(password: str, salt: str | None = None) -> str:
        salt = salt or secrets.token_hex(16)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 100_000).hex()
        return f"{salt}${digest}"

    def login_profile(self, user_name: str) -> dict[str, Any]:
        self.user(user_name)
        doc = self.store.get(LOGIN, names.key(user_name))
        if doc is None:
            raise not_exist("User.LoginProfile", user_name)
        return doc

    def create_login_profile(
        self,
        user_name: str,
        password: str,
        *,
        password_reset_required: bool = False,
        mfa_bind_required: bool = False,
    ) -> dict[str, Any]:
        if not password:
            raise missing("Password")
        if not 8 <= len(password) <= 32:
            raise invalid("Password", "The password must be 8 to 32 characters long.")
        with self.store.transaction():
            user = self.user(user_name)
            doc = {
                "UserName": user["UserName"],
                "PasswordResetRequired": password_reset_required,
                "MFABindRequired": mfa_bind_required,
                "CreateDate": self._date(),
                "_password": self._hash_password(password),
            }
            if not self.store.insert(LOGIN, names.key(user_name), doc):
                raise already_exists("User.LoginProfile", user_name)
            self._changed()
        return doc

    def update_login_profile(
        self,
        user_name: str,
        *,
        password: str | None = None,
        password_reset_required: bool | None = None,
        mfa_bind_required: bool | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self.login_profile(user_name)
            if password:
                if not 8 <= len(password) <= 32:
                    raise invalid("Password", "The password must be 8 to 32 characters long.")
                doc["_password"] = self._hash_password(password)
            if password_reset_required is not None:
                doc["PasswordResetRequired"] = password_reset_required
            if mfa_bind_required is not None:
                doc["MFABindRequired"] = mfa_bind_required
            self.store.put(LOGIN, names.key(user_name), doc)
            self._changed()
        return doc

    def delete_login_profile(self, user_name: str) -> None:
        with self.store.transaction():
            self.login_profile(user_name)
            self.store.delete(LOGIN, names.key(user_name))
            self._changed()

    # -- access keys -------------------------------------------------------------------------------

    def create_access_key(self, user_name: str) -> dict[str, Any]:
        with self.store.transaction():
            user = self.user(user_name)
            if len(self.access_keys(user["UserName"])) >= MAX_ACCESS_KEYS:
                raise RamError(
                    "LimitExceeded.User.AccessKey",
                    f"The user {user_name} already has {MAX_ACCESS_KEYS} access keys, the most it can have.",
                    409,
                )
            key_id, secret = names.new_access_key()
            doc = {
                "AccessKeyId": key_id,
                "AccessKeySecret": secret,
                "Status": "Active",
                "CreateDate": self._date(),
                "UserName": user["UserName"],
            }
            self.store.insert(KEY, key_id, doc)
            self._changed()
        return doc

    def access_key(self, user_name: str, key_id: str) -> dict[str, Any]:
        self.user(user_name)
        doc = self.store.get(KEY, key_id)
        if doc is None or names.key(doc["UserName"]) != names.key(user_name):
            raise not_exist("User.AccessKey", key_id)
        return doc

    def access_keys(self, user_name: str) -> list[dict[str, Any]]:
        return [k for k in self.store.list(KEY) if names.key(k["UserName"]) == names.key(user_name)]

    def update_access_key(self, user_name: str, key_id: str, status: str) -> None:
        if status not in ("Active", "Inactive"):
            raise invalid("Status", f"The parameter Status must be Active or Inactive, got {status!r}.")
        with self.store.transaction():
            doc = self.access_key(user_name, key_id)
            doc["Status"] = status
            self.store.put(KEY, key_id, doc)
            self._changed()

    def delete_access_key(self, user_name: str, key_id: str) -> None:
        with self.store.transaction():
            self.access_key(user_name, key_id)
            self.store.delete(KEY, key_id)
            self._changed()

    def key_record(self, key_id: str) -> dict[str, Any] | None:
        """A user's access key by id (None when unknown): what signature checks resolve."""
        return self.store.get(KEY, key_id)

    # -- groups --------------------------------------------------------------------------------

    def group(self, name: str) -> dict[str, Any]:
        doc = self.store.get(GROUP, names.key(names.check_name("GroupName", name)))
        if doc is None:
            raise not_exist("Group", name)
        return doc

    def create_group(self, name: str, *, comments: str = "") -> dict[str, Any]:
        names.check_name("GroupName", name)
        now = self._date()
        doc = {
            "GroupId": names.new_numeric_id(16),
            "GroupName": name,
            "Comments": names.check_length("Comments", comments, 128),
            "CreateDate": now,
            "UpdateDate": now,
        }
        with self.store.transaction():
            if not self.store.insert(GROUP, names.key(name), doc):
                raise already_exists("Group", name)
            self._changed()
        return doc

    def update_group(
        self, name: str, *, new_name: str | None = None, new_comments: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self.group(name)
            if new_comments is not None:
                doc["Comments"] = names.check_length("NewComments", new_comments, 128)
            doc["UpdateDate"] = self._date()
            if new_name and names.key(new_name) != names.key(name):
                names.check_name("GroupName", new_name)
                if self.store.get(GROUP, names.key(new_name)) is not None:
                    raise already_exists("Group", new_name)
                self._rename_principal("Group", doc["GroupName"], new_name)
                self.store.delete(GROUP, names.key(name))
                doc["GroupName"] = new_name
            self.store.put(GROUP, names.key(doc["GroupName"]), doc)
            self._changed()
        return doc

    def delete_group(self, name: str) -> None:
        with self.store.transaction():
            doc = self.group(name)
            if self.users_for_group(doc["GroupName"]):
                raise delete_conflict("Group.User", f"The group {name} still has members; remove them first.")
            if self.policies_for("Group", doc["GroupName"]):
                raise delete_conflict(
                    "Group.Policy", f"The group {name} still has policies attached; detach them first."
                )
            self.store.delete(GROUP, names.key(name))
            self._changed()

    def groups(self) -> list[dict[str, Any]]:
        return self.store.list(GROUP)

    @staticmethod
    def _member_key(group: str, user: str) -> str:
        return f"{names.key(group)}/{names.key(user)}"

    def add_user_to_group(self, user_name: str, group_name: str) -> None:
        with self.store.transaction():
            user, group = self.user(user_name), self.group(group_name)
            doc = {"GroupName": group["GroupName"], "UserName": user["UserName"], "JoinDate": self._date()}
            if not self.store.insert(MEMBER, self._member_key(group_name, user_name), doc):
                raise already_exists("User.Group", f"{user_name} in {group_name}")
            self._changed()

    def remove_user_from_group(self, user_name: str, group_name: str) -> None:
        with self.store.transaction():
            self.user(user_name)
            self.group(group_name)
            if not self.store.delete(MEMBER, self._member_key(group_name, user_name)):
                raise not_exist("User.Group", f"{user_name} in {group_name}")
            self._changed()

    def groups_for_user(self, user_name: str) -> list[dict[str, Any]]:
        """``[{GroupName, Comments, JoinDate}]`` of the user's groups."""
        found = []
        for member in self.store.list(MEMBER):
            if names.key(member["UserName"]) == names.key(user_name):
                group = self.store.get(GROUP, names.key(member["GroupName"])) or {}
                found.append(
                    {
                        "GroupName": member["GroupName"],
                        "Comments": group.get("Comments", ""),
                        "JoinDate": member["JoinDate"],
                    }
                )
        return found

    def users_for_group(self, group_name: str) -> list[dict[str, Any]]:
        """``[{UserName, DisplayName, JoinDate}]`` of the group's members."""
        found = []
        for member in self.store.list(MEMBER, names.key(group_name) + "/"):
            user = self.store.get(USER, names.key(member["UserName"])) or {}
            found.append(
                {
                    "UserName": member["UserName"],
                    "DisplayName": user.get("DisplayName", ""),
                    "JoinDate": member["JoinDate"],
                }
            )
        return found

    # -- roles ---------------------------------------------------------------------------------

    def role(self, name: str) -> dict[str, Any]:
        doc = self.store.get(ROLE, names.key(names.check_name("RoleName", name)))
        if doc is None:
            raise not_exist("Role", name)
        return doc

    def find_role(self, name: str) -> dict[str, Any] | None:
        return self.store.get(ROLE, names.key(name))

    @staticmethod
    def _trust(document: str | None, parameter: str) -> CompiledPolicy:
        if not document:
            raise missing(parameter)
        try:
            return compile_policy(document, PolicyKind.TRUST)
        except PolicyDocumentError as exc:
            raise _policy_error(parameter, exc) from None

    @staticmethod
    def _max_session(value: int | None, parameter: str) -> int:
        if value is None:
            return DEFAULT_SESSION
        if not MIN_SESSION <= value <= MAX_SESSION:
            raise invalid(
                parameter,
                f"The parameter {parameter} must be between {MIN_SESSION} and {MAX_SESSION} seconds.",
            )
        return value

    def create_role(
        self, name: str, trust_policy: str, *, description: str = "", max_session_duration: int | None = None
    ) -> dict[str, Any]:
        names.check_name("RoleName", name)
        self._trust(trust_policy, "AssumeRolePolicyDocument")
        now = self._date()
        doc = {
            "RoleId": names.new_numeric_id(19),
            "RoleName": name,
            "Arn": names.role_arn(self.account_id, name),
            "Description": names.check_length("Description", description, 1024),
            "AssumeRolePolicyDocument": trust_policy,
            "MaxSessionDuration": self._max_session(max_session_duration, "MaxSessionDuration"),
            "CreateDate": now,
            "UpdateDate": now,
        }
        with self.store.transaction():
            if not self.store.insert(ROLE, names.key(name), doc):
                raise already_exists("Role", name)
            self._changed()
        return doc

    def update_role(
        self,
        name: str,
        *,
        new_trust_policy: str | None = None,
        new_max_session_duration: int | None = None,
        new_description: str | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self.role(name)
            if new_trust_policy:
                self._trust(new_trust_policy, "NewAssumeRolePolicyDocument")
                doc["AssumeRolePolicyDocument"] = new_trust_policy
            if new_max_session_duration is not None:
                doc["MaxSessionDuration"] = self._max_session(
                    new_max_session_duration, "NewMaxSessionDuration"
                )
            if new_description is not None:
                doc["Description"] = names.check_length("NewDescription", new_description, 1024)
            doc["UpdateDate"] = self._date()
            self.store.put(ROLE, names.key(name), doc)
            self._changed()
        return doc

    def delete_role(self, name: str) -> None:
        with self.store.transaction():
            self.role(name)
            if self.policies_for("Role", name):
                raise delete_conflict(
                    "Role.Policy", f"The role {name} still has policies attached; detach them first."
                )
            self.store.delete(ROLE, names.key(name))
            self._changed()

    def roles(self) -> list[dict[str, Any]]:
        return self.store.list(ROLE)

    def trust_policy(self, role: dict[str, Any]) -> CompiledPolicy:
        return compile_policy(
            role["AssumeRolePolicyDocument"], PolicyKind.TRUST, name=f"{role['RoleName']} trust policy"
        )

    # -- policies --------------------------------------------------------------------------------

    @staticmethod
    def _check_type(policy_type: str | None) -> str:
        if not policy_type:
            raise missing("PolicyType")
        if policy_type not in ("System", "Custom"):
            raise invalid(
                "PolicyType", f"The parameter PolicyType must be System or Custom, got {policy_type!r}."
            )
        return policy_type

    @staticmethod
    def _document(document: str | None, parameter: str, name: str) -> CompiledPolicy:
        if not document:
            raise missing(parameter)
        try:
            return compile_policy(document, PolicyKind.PERMISSION, name=name)
        except PolicyDocumentError as exc:
            raise _policy_error(parameter, exc) from None

    def policy(self, name: str, policy_type: str = "Custom") -> dict[str, Any]:
        """The policy's record (system policies are described from the built-in table)."""
        self._check_type(policy_type)
        if policy_type == "System":
            if name not in SYSTEM_POLICIES:
                raise not_exist(
                    "Policy", f"{name} (known system policies: {', '.join(sorted(SYSTEM_POLICIES))})"
                )
            return {
                "PolicyName": name,
                "PolicyType": "System",
                "Description": SYSTEM_POLICIES[name][0],
                "DefaultVersion": "v1",
                "CreateDate": "2015-01-01T00:00:00Z",
                "UpdateDate": "2015-01-01T00:00:00Z",
            }
        doc = self.store.get(POLICY, names.key(names.check_name("PolicyName", name)))
        if doc is None:
            raise not_exist("Policy", name)
        return doc

    def policy_document(self, name: str, policy_type: str, version_id: str | None = None) -> dict[str, Any]:
        """``{VersionId, IsDefaultVersion, PolicyDocument, CreateDate}`` of a version (default: the
        default one)."""
        record = self.policy(name, policy_type)
        if policy_type == "System":
            if version_id not in (None, "v1"):
                raise not_exist("Policy.Version", f"{name} {version_id}")
            return {
                "VersionId": "v1",
                "IsDefaultVersion": True,
                "PolicyDocument": json.dumps(SYSTEM_POLICIES[name][1]),
                "CreateDate": record["CreateDate"],
            }
        wanted = version_id or record["DefaultVersion"]
        version = self.store.get(VERSION, f"{names.key(name)}/{wanted}")
        if version is None:
            raise not_exist("Policy.Version", f"{name} {wanted}")
        return {**version, "IsDefaultVersion": wanted == record["DefaultVersion"]}

    def create_policy(self, name: str, document: str, *, description: str = "") -> dict[str, Any]:
        names.check_name("PolicyName", name)
        self._document(document, "PolicyDocument", name)
        now = self._date()
        doc = {
            "PolicyName": name,
            "PolicyType": "Custom",
            "Description": names.check_length("Description", description, 1024),
            "DefaultVersion": "v1",
            "CreateDate": now,
            "UpdateDate": now,
            "_next_version": 2,
        }
        with self.store.transaction():
            if name in SYSTEM_POLICIES or not self.store.insert(POLICY, names.key(name), doc):
                raise already_exists("Policy", name)
            self.store.put(
                VERSION,
                f"{names.key(name)}/v1",
                {"VersionId": "v1", "PolicyDocument": document, "CreateDate": now},
            )
            self._changed()
        return doc

    def versions(self, name: str, policy_type: str = "Custom") -> list[dict[str, Any]]:
        record = self.policy(name, policy_type)
        if policy_type == "System":
            return [self.policy_document(name, "System")]
        found = self.store.list(VERSION, names.key(name) + "/")
        found.sort(key=lambda v: int(v["VersionId"][1:]))
        return [{**v, "IsDefaultVersion": v["VersionId"] == record["DefaultVersion"]} for v in found]

    def create_policy_version(
        self, name: str, document: str, *, set_as_default: bool = False, rotate_strategy: str = "None"
    ) -> dict[str, Any]:
        if rotate_strategy not in ("None", "DeleteOldestNonDefaultVersionWhenLimitExceeded"):
            raise invalid("RotateStrategy", f"The parameter RotateStrategy is invalid: {rotate_strategy!r}.")
        self._document(document, "PolicyDocument", name)
        with self.store.transaction():
            record = self.policy(name)
            existing = self.versions(name)
            if len(existing) >= MAX_POLICY_VERSIONS:
                oldest = next((v for v in existing if not v["IsDefaultVersion"]), None)
                if rotate_strategy == "None" or oldest is None:
                    raise RamError(
                        "LimitExceeded.Policy.Version",
                        f"The policy {name} already has {MAX_POLICY_VERSIONS} versions; delete one first.",
                        409,
                    )
                self.store.delete(VERSION, f"{names.key(name)}/{oldest['VersionId']}")
            version_id = f"v{record['_next_version']}"
            record["_next_version"] += 1
            now = self._date()
            version = {"VersionId": version_id, "PolicyDocument": document, "CreateDate": now}
            self.store.put(VERSION, f"{names.key(name)}/{version_id}", version)
            if set_as_default:
                record["DefaultVersion"] = version_id
            record["UpdateDate"] = now
            self.store.put(POLICY, names.key(name), record)
            self._changed()
        return {**version, "IsDefaultVersion": set_as_default}

    def set_default_policy_version(self, name: str, version_id: str) -> None:
        with self.store.transaction():
            record = self.policy(name)
            self.policy_document(name, "Custom", version_id)
            record["DefaultVersion"] = version_id
            record["UpdateDate"] = self._date()
            self.store.put(POLICY, names.key(name), record)
            self._changed()

    def delete_policy_version(self, name: str, version_id: str) -> None:
        with self.store.transaction():
            version = self.policy_document(name, "Custom", version_id)
            if version["IsDefaultVersion"]:
                raise delete_conflict(
                    "Policy.Version.Default", f"Version {version_id} is the default version of policy {name}."
                )
            self.store.delete(VERSION, f"{names.key(name)}/{version_id}")
            self._changed()

    def delete_policy(self, name: str) -> None:
        with self.store.transaction():
            self.policy(name)
            for principal_type in PRINCIPAL_TYPES:
                if self.entities_for_policy("Custom", name)[principal_type]:
                    raise delete_conflict(
                        f"Policy.{principal_type}",
                        f"The policy {name} is still attached to a {principal_type.lower()}; detach it first",
                    )
            if len(self.versions(name)) > 1:
                raise delete_conflict(
                    "Policy.Version", f"The policy {name} has versions besides the default one."
                )
            self.store.delete(VERSION, f"{names.key(name)}/{self.policy(name)['DefaultVersion']}")
            self.store.delete(POLICY, names.key(name))
            self._changed()

    def policies(self, policy_type: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if policy_type in (None, "", "System"):
            found += [self.policy(name, "System") for name in sorted(SYSTEM_POLICIES)]
        if policy_type in (None, "", "Custom"):
            found += self.store.list(POLICY)
        elif policy_type != "System":
            self._check_type(policy_type)
        return found

    # -- attachments -------------------------------------------------------------------------------

    @staticmethod
    def _attachment_key(doc: dict[str, Any]) -> str:
        return (
            f"{doc['PrincipalType']}/{names.key(doc['PrincipalName'])}/"
            f"{doc['PolicyType']}/{names.key(doc['PolicyName'])}"
        )

    def _principal(self, principal_type: str, name: str) -> dict[str, Any]:
        return {"User": self.user, "Group": self.group, "Role": self.role}[principal_type](name)

    def _principal_name(self, principal_type: str, doc: dict[str, Any]) -> str:
        return str(doc[f"{principal_type}Name"])

    def attach(self, policy_type: str, policy_name: str, principal_type: str, principal_name: str) -> None:
        self._check_type(policy_type)
        with self.store.transaction():
            policy = self.policy(policy_name, policy_type)
            principal = self._principal(principal_type, principal_name)
            doc = {
                "PrincipalType": principal_type,
                "PrincipalName": self._principal_name(principal_type, principal),
                "PolicyType": policy_type,
                "PolicyName": policy["PolicyName"],
                "AttachDate": self._date(),
            }
            if not self.store.insert(ATTACHMENT, self._attachment_key(doc), doc):
                raise already_exists(f"{principal_type}.Policy", f"{policy_name} on {principal_name}")
            self._changed()

    def detach(self, policy_type: str, policy_name: str, principal_type: str, principal_name: str) -> None:
        self._check_type(policy_type)
        with self.store.transaction():
            self.policy(policy_name, policy_type)
            self._principal(principal_type, principal_name)
            doc = {
                "PrincipalType": principal_type,
                "PrincipalName": principal_name,
                "PolicyType": policy_type,
                "PolicyName": policy_name,
            }
            if not self.store.delete(ATTACHMENT, self._attachment_key(doc)):
                raise not_exist(f"{principal_type}.Policy", f"{policy_name} on {principal_name}")
            self._changed()

    def policies_for(self, principal_type: str, name: str) -> list[dict[str, Any]]:
        """``[{PolicyName, PolicyType, Description, DefaultVersion, AttachDate}]``."""
        found = []
        for attachment in self.store.list(ATTACHMENT, f"{principal_type}/{names.key(name)}/"):
            try:
                policy = self.policy(attachment["PolicyName"], attachment["PolicyType"])
            except RamError:
                continue
            found.append(
                {
                    "PolicyName": policy["PolicyName"],
                    "PolicyType": policy["PolicyType"],
                    "Description": policy.get("Description", ""),
                    "DefaultVersion": policy["DefaultVersion"],
                    "AttachDate": attachment["AttachDate"],
                }
            )
        return found

    def entities_for_policy(self, policy_type: str, name: str) -> dict[str, list[dict[str, Any]]]:
        """``{"User": [...], "Group": [...], "Role": [...]}`` the policy is attached to."""
        self.policy(name, policy_type)
        found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in PRINCIPAL_TYPES}
        for attachment in self.store.list(ATTACHMENT):
            if attachment["PolicyType"] == policy_type and names.key(attachment["PolicyName"]) == names.key(
                name
            ):
                found[attachment["PrincipalType"]].append(attachment)
        return found

    def compiled_policies(self, principal_type: str, name: str) -> list[CompiledPolicy]:
        """The default versions of every policy attached to the principal, compiled."""
        compiled = []
        for attachment in self.store.list(ATTACHMENT, f"{principal_type}/{names.key(name)}/"):
            if attachment["PolicyType"] == "System":
                found = system_policy(attachment["PolicyName"])
                if found is not None:
                    compiled.append(found)
                continue
            try:
                version = self.policy_document(attachment["PolicyName"], "Custom")
            except RamError:
                continue
            compiled.append(
                compile_policy(
                    version["PolicyDocument"], PolicyKind.PERMISSION, name=attachment["PolicyName"]
                )
            )
        return compiled
