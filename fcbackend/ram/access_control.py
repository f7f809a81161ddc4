"""RAM as every twin's :class:`~fcbackend.access.CredentialStore` and :class:`~fcbackend.access.Authorizer`.

Who a key belongs to: the backend's own key pair is the account's root; ``LTAI…`` keys belong to
RAM users (refused when unknown or ``Inactive``); ``STS.…`` keys are STS sessions, valid only with
their security token and until their expiration.

What a caller may do: root everything; a user what the policies attached to it and to its groups
allow; an STS session what its role's policies allow *and* its session policy allows (the
intersection). An explicit ``Deny`` wins; nothing allowing the action denies it implicitly. How
strictly that is applied is the :class:`~fcbackend.ram.enforcement.Enforcement` mode.

Why caches: every FC/OSS/SLS request resolves a key and most are authorized. Resolved keys and
compiled policy sets are kept until RAM changes (the account's ``generation`` moves); evaluation
itself is :class:`~fcbackend.ram.policy.PolicySet`'s (benchmarks/bench_ram_policy.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fcbackend.access import AccessDenied, Caller, CredentialError
from fcbackend.ram import names
from fcbackend.ram.account import RamAccount
from fcbackend.ram.enforcement import Enforcement
from fcbackend.ram.policy import Decision, PolicyKind, PolicySet, compile_policy, describe

SESSION = "sts_session"
_log = logging.getLogger("fcbackend.ram")


@dataclass(frozen=True)
class _Resolved:
    secret: str
    caller: Caller
    token: str | None = None  # STS sessions: the token that must come with the key
    expires: float | None = None
    disabled: bool = False


class RequestContext(Mapping[str, str]):
    """A request's condition keys (lower-cased), with ``acs:CurrentTime`` and ``acs:AccessId``
    filled in only when a condition asks for them (formatting a date costs more than most
    evaluations)."""

    def __init__(self, given: Mapping[str, str] | None, caller: Caller, now: Callable[[], float]):
        self._given = {k.lower(): v for k, v in (given or {}).items()}
        self._caller = caller
        self._now = now

    def __getitem__(self, key: str) -> str:
        value = self._given.get(key)
        if value is not None:
            return value
        if key == "acs:currenttime":
            return names.iso_time(self._now())
        if key == "acs:accessid":
            return self._caller.access_key_id
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter({*self._given, "acs:currenttime", "acs:accessid"})

    def __len__(self) -> int:
        return len(set(self))


class RamAccess:
    def __init__(
        self,
        account: RamAccount,
        *,
        root_access_key_id: str,
        root_access_key_secret: str,
        enforcement: Enforcement,
        now: Callable[[], float],
    ):
        self.account = account
        self.enforcement = enforcement
        self._now = now
        self.root = Caller(root_access_key_id, account.account_id, names.root_arn(account.account_id), True)
        self._root_secret = root_access_key_secret
        self._generation = -1
        self._keys: dict[str, _Resolved] = {}
        self._sets: dict[str, tuple[PolicySet, ...]] = {}

    # -- who is calling --------------------------------------------------------------------------

    def _fresh(self) -> None:
        if self._generation != self.account.generation:
            self._keys = {}
            self._sets = {}
            self._generation = self.account.generation

    def _lookup(self, access_key_id: str) -> _Resolved | None:
        self._fresh()
        found = self._keys.get(access_key_id)
        if found is not None:
            return found
        account_id = self.account.account_id
        if access_key_id.startswith(names.STS_PREFIX):
            session = self.account.store.get(SESSION, access_key_id)
            if session is None:
                return None
            caller = Caller(
                access_key_id,
                account_id,
                names.assumed_role_arn(account_id, session["RoleName"], session["RoleSessionName"]),
                False,
            )
            found = _Resolved(
                session["AccessKeySecret"], caller, session["SecurityToken"], session["Expires"]
            )
        else:
            record = self.account.key_record(access_key_id)
            if record is None:
                return None
            caller = Caller(access_key_id, account_id, names.user_arn(account_id, record["UserName"]), False)
            found = _Resolved(record["AccessKeySecret"], caller, disabled=record["Status"] != "Active")
        self._keys[access_key_id] = found
        return found

    def resolve(self, access_key_id: str, security_token: str | None) -> tuple[str, Caller]:
        """The secret to verify a signature with, and the caller; :class:`CredentialError` when
        the key is unknown or disabled, or its STS token missing, wrong or expired."""
        if access_key_id == self.root.access_key_id:
            return self._root_secret, self.root
        found = self._lookup(access_key_id)
        if found is None:
            raise CredentialError("UnknownKey", f"the access key id {access_key_id!r} does not exist")
        if found.disabled:
            raise CredentialError("DisabledKey", f"the access key {access_key_id!r} is disabled")
        if found.token is not None:
            if not security_token:
                raise CredentialError(
                    "InvalidToken", f"the temporary key {access_key_id!r} needs its security token"
                )
            if security_token != found.token:
                raise CredentialError(
                    "InvalidToken", f"the security token does not belong to the access key {access_key_id!r}"
                )
            if found.expires is not None and self._now() >= found.expires:
                raise CredentialError(
                    "ExpiredToken",
                    f"the security token of {access_key_id!r} expired at {names.iso_time(found.expires)}",
                )
        return found.secret, found.caller

    def session(self, access_key_id: str) -> dict[str, Any] | None:
        """The STS session record of a temporary key (None for other keys)."""
        if not access_key_id.startswith(names.STS_PREFIX):
            return None
        return self.account.store.get(SESSION, access_key_id)

    # -- what the caller may do --------------------------------------------------------------------

    def _policy_sets(self, caller: Caller) -> tuple[PolicySet, ...]:
        self._fresh()
        cache_key = caller.access_key_id if caller.access_key_id.startswith(names.STS_PREFIX) else caller.arn
        found = self._sets.get(cache_key)
        if found is not None:
            return found
        session = self.session(caller.access_key_id)
        if session is not None:
            role_policies = PolicySet(self.account.compiled_policies("Role", session["RoleName"]))
            sets: tuple[PolicySet, ...] = (role_policies,)
            if session.get("Policy"):
                sets += (
                    PolicySet([compile_policy(session["Policy"], PolicyKind.SESSION, name="session policy")]),
                )
        else:
            user = caller.arn.rpartition(":user/")[2]
            policies = self.account.compiled_policies("User", user)
            for group in self.account.groups_for_user(user):
                policies += self.account.compiled_policies("Group", group["GroupName"])
            sets = (PolicySet(policies),)
        self._sets[cache_key] = sets
        return sets

    def decide(
        self, caller: Caller, action: str, resource: str, context: Mapping[str, str] | None = None
    ) -> tuple[Decision, str]:
        """The decision for ``caller`` and why, whatever the enforcement mode."""
        if caller.is_root:
            return Decision.ALLOW, "the root account may do anything"
        ctx = RequestContext(context, caller, self._now)
        sets = self._policy_sets(caller)
        for index, policy_set in enumerate(sets):
            decision, statement = policy_set.decide(action, resource, ctx)
            if decision is Decision.EXPLICIT_DENY and statement is not None:
                return decision, f"explicitly denied by {describe(statement)}"
            if decision is Decision.IMPLICIT_DENY:
                if index > 0:
                    return decision, "the session policy of these temporary credentials does not allow it"
                return decision, f"no policy attached to {caller.arn} allows it"
        return Decision.ALLOW, "allowed"

    def authorize(
        self, caller: Caller, action: str, resource: str, context: Mapping[str, str] | None = None
    ) -> None:
        if caller.is_root or self.enforcement is Enforcement.OFF:
            return
        decision, reason = self.decide(caller, action, resource, context)
        if decision is Decision.ALLOW:
            return
        if self.enforcement is Enforcement.SOFT:
            _log.warning("RAM (soft mode) would deny %s %s on %s: %s", caller.arn, action, resource, reason)
            return
        raise AccessDenied(action, resource, reason)
