"""STS: temporary credentials of RAM roles (``AssumeRole``) and ``GetCallerIdentity``.

``AssumeRole`` as STS defines it (https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole):
the caller must be a RAM user or a role session, never the root account ("Roles may not be
assumed by root accounts."); its policies must allow ``sts:AssumeRole`` on the role (the system
policy ``AliyunSTSAssumeRoleAccess`` does) and the role's trust policy must name it (its ARN, or
``acs:ram::<account>:root`` for every identity of the account). ``DurationSeconds`` is 900 up to
the role's ``MaxSessionDuration`` (default 3600); a ``Policy`` narrows the session to what both
it and the role allow. The answer carries ``STS.`` keys, a security token and the expiration in
``YYYY-MM-DDTHH:MM:SSZ`` form.

Functions get their role's credentials through :meth:`StsService.assume_role_for_service`: the
role must trust the service (``fc.aliyuncs.com``) instead of a RAM identity.

Sessions are stored so that every twin can resolve their keys; expired ones are kept an hour (a
late request gets "expired", not "unknown key") and then purged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fcbackend.access import Caller
from fcbackend.ram import names
from fcbackend.ram.access_control import SESSION, RamAccess
from fcbackend.ram.account import RamAccount
from fcbackend.ram.enforcement import Enforcement
from fcbackend.ram.errors import RamError, invalid, no_permission, not_exist
from fcbackend.ram.policy import Decision, PolicyDocumentError, PolicyKind, compile_policy, trusts

MIN_DURATION = 900
DEFAULT_DURATION = 3600
KEEP_EXPIRED_S = 3600
_log = logging.getLogger("fcbackend.ram")


@dataclass(frozen=True)
class IssuedSession:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expires: float
    role_arn: str
    assumed_role_arn: str
    assumed_role_id: str

    def credentials(self) -> dict[str, str]:
        """The ``Credentials`` object of an AssumeRole answer."""
        return {
            "AccessKeyId": self.access_key_id,
            "AccessKeySecret": self.access_key_secret,
            "SecurityToken": self.security_token,
            "Expiration": names.iso_time(self.expires),
        }


class StsService:
    def __init__(self, account: RamAccount, access: RamAccess, *, now: Callable[[], float]):
        self.account = account
        self.access = access
        self._now = now

    def account_now(self) -> float:
        """The time STS dates its sessions by (the backend's clock)."""
        return self._now()

    def _role_for(self, role_arn: str) -> dict[str, Any]:
        account_id, name = names.parse_role_arn(role_arn)
        role = self.account.find_role(name) if account_id == self.account.account_id else None
        if role is None:
            raise not_exist("Role", f"{role_arn} (roles of account {self.account.account_id} exist locally)")
        return role

    def _duration(self, role: dict[str, Any], duration: int | None) -> int:
        maximum = int(role.get("MaxSessionDuration") or DEFAULT_DURATION)
        if duration is None:
            return min(DEFAULT_DURATION, maximum)
        if not MIN_DURATION <= duration <= maximum:
            raise invalid(
                "DurationSeconds",
                f"The Min/Max value of DurationSeconds is {MIN_DURATION}/{maximum} seconds (the role's "
                f"MaxSessionDuration); got {duration}.",
            )
        return duration

    def _issue(
        self, role: dict[str, Any], session_name: str, duration: int, policy: str, source: str
    ) -> IssuedSession:
        key_id, secret, token = names.new_sts_key()
        now = self._now()
        expires = float(int(now) + duration)
        record = {
            "AccessKeyId": key_id,
            "AccessKeySecret": secret,
            "SecurityToken": token,
            "Expires": expires,
            "RoleName": role["RoleName"],
            "RoleId": role["RoleId"],
            "RoleArn": role["Arn"],
            "RoleSessionName": session_name,
            "Policy": policy,
            "Source": source,
        }
        store = self.account.store
        with store.transaction():
            store.purge_expired(SESSION, now - KEEP_EXPIRED_S)
            store.insert(SESSION, key_id, record, expires=expires)
        return IssuedSession(
            key_id,
            secret,
            token,
            expires,
            role["Arn"],
            names.assumed_role_arn(self.account.account_id, role["RoleName"], session_name),
            f"{role['RoleId']}:{session_name}",
        )

    def assume_role(
        self,
        caller: Caller,
        role_arn: str,
        session_name: str,
        *,
        duration_seconds: int | None = None,
        policy: str | None = None,
        external_id: str | None = None,
    ) -> dict[str, Any]:
        """The AssumeRole answer (without RequestId); :class:`RamError` with STS's code otherwise."""
        if caller.is_root:
            raise no_permission("Roles may not be assumed by root accounts.")
        names.check_name("RoleSessionName", session_name)
        if policy:
            try:
                compile_policy(policy, PolicyKind.SESSION)
            except PolicyDocumentError as exc:
                raise RamError(
                    "InvalidParameter.PolicyGrammar",
                    f"The parameter Policy has not passed grammar check: {exc.message}",
                ) from None
        role = self._role_for(role_arn)
        duration = self._duration(role, duration_seconds)
        enforcement = self.access.enforcement
        if enforcement is not Enforcement.OFF:
            refusal = self._refusal(caller, role, external_id)
            if refusal is not None:
                if enforcement is Enforcement.ENFORCE:
                    raise no_permission(refusal)
                _log.warning("RAM (soft mode) would refuse AssumeRole: %s", refusal)
        issued = self._issue(role, session_name, duration, policy or "", caller.arn)
        return {
            "Credentials": issued.credentials(),
            "AssumedRoleUser": {"Arn": issued.assumed_role_arn, "AssumedRoleId": issued.assumed_role_id},
        }

    def _refusal(self, caller: Caller, role: dict[str, Any], external_id: str | None) -> str | None:
        """Why ``caller`` may not assume ``role`` (None when it may)."""
        decision, reason = self.access.decide(caller, "sts:AssumeRole", role["Arn"])
        if decision is not Decision.ALLOW:
            return (
                "You are not authorized to do this action. You should be authorized by RAM "
                f"(sts:AssumeRole on {role['Arn']}: {reason})."
            )
        identities = [caller.arn, names.root_arn(caller.account_id)]
        session = self.access.session(caller.access_key_id)
        if session is not None:
            identities.append(session["RoleArn"])
        context = {"sts:ExternalId": external_id} if external_id else {}
        if not trusts(self.account.trust_policy(role), ram_arns=identities, context=context):
            return (
                "No permission perform sts:AssumeRole on this Role. The role's trust policy "
                f"(AssumeRolePolicyDocument) does not name {caller.arn} or its account."
            )
        return None

    def assume_role_for_service(
        self, service: str, role_arn: str, session_name: str, duration_seconds: int | None = None
    ) -> tuple[IssuedSession, str]:
        """Credentials of ``role_arn`` for a cloud service acting for the account (FC handing a
        function its service's role), and a warning ("" when none). Raises :class:`RamError`
        when the role does not exist, or does not trust ``service`` under ``enforce``."""
        role = self._role_for(role_arn)
        warning = ""
        if self.access.enforcement is not Enforcement.OFF and not trusts(
            self.account.trust_policy(role), service=service
        ):
            problem = (
                f"the role {role['RoleName']} does not trust {service}: its AssumeRolePolicyDocument must "
                f'name it (Principal: {{"Service": ["{service}"]}})'
            )
            if self.access.enforcement is Enforcement.ENFORCE:
                raise no_permission(problem)
            warning = f"{problem} (allowed: ROS_IAM_ENFORCEMENT=soft)"
        duration = self._duration(
            role, duration_seconds or int(role.get("MaxSessionDuration") or DEFAULT_DURATION)
        )
        return self._issue(
            role, names.check_name("RoleSessionName", session_name), duration, "", service
        ), warning

    def caller_identity(self, caller: Caller) -> dict[str, Any]:
        """The GetCallerIdentity answer (without RequestId)."""
        account_id = self.account.account_id
        if caller.is_root:
            return {
                "IdentityType": "Account",
                "AccountId": account_id,
                "PrincipalId": account_id,
                "UserId": account_id,
                "Arn": caller.arn,
            }
        session = self.access.session(caller.access_key_id)
        if session is not None:
            principal = f"{session['RoleId']}:{session['RoleSessionName']}"
            return {
                "IdentityType": "AssumedRoleUser",
                "AccountId": account_id,
                "PrincipalId": principal,
                "RoleId": session["RoleId"],
                "Arn": caller.arn,
            }
        user = self.account.user(caller.arn.rpartition(":user/")[2])
        return {
            "IdentityType": "RAMUser",
            "AccountId": account_id,
            "PrincipalId": user["UserId"],
            "UserId": user["UserId"],
            "Arn": caller.arn,
        }
