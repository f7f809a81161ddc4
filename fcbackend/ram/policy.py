"""RAM policy documents: checked and compiled once, evaluated on every request.

Grammar (https://www.alibabacloud.com/help/en/ram/user-guide/policy-structure-and-syntax)::

    {"Version": "1",
     "Statement": [{"Effect": "Allow" | "Deny",
                    "Action" | "NotAction": "*" | "svc:Op" | [...],      # * and ? wildcards
                    "Resource" | "NotResource": "*" | "acs:..." | [...],
                    "Condition": {"<Operator>": {"<key>": value | [values]}}}]}

A trust policy (a role's ``AssumeRolePolicyDocument``) has ``Principal`` (``Service``, ``RAM``,
``Federated``) instead of a resource. Evaluation: an explicit ``Deny`` wins, then any ``Allow``,
else the request is denied implicitly. Actions match without regard to case, resources exactly.

Why compiled: a user's policies are evaluated on every FC/OSS/SLS request. Each statement becomes
:class:`~fcbackend.ram.globs.GlobSet` matchers and condition tests, and a :class:`PolicySet`
remembers, per action, which statements can apply at all, so a request only checks resources
and conditions of those few.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from fcbackend.ram.conditions import CompiledCondition, ConditionError, compile_condition
from fcbackend.ram.globs import GlobSet

# Lengths RAM accepts (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-createpolicy,
# ...-createrole, and STS AssumeRole's Policy parameter).
MAX_PERMISSION_POLICY = 6144
MAX_TRUST_POLICY = 2048
MAX_SESSION_POLICY = 2048

_ACTION = re.compile(r"^(\*|[A-Za-z0-9*?_-]+:[A-Za-z0-9*?_./-]*)$")
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
}
_PRINCIPAL_KINDS = ("Service", "RAM", "Federated")
_ACCOUNT_PREFIX = re.compile(r"^\d+@")


class PolicyKind(Enum):
    PERMISSION = "permission"  # custom policies, system policies
    SESSION = "session"  # STS AssumeRole's Policy parameter
    TRUST = "trust"  # a role's AssumeRolePolicyDocument


class PolicyDocumentError(ValueError):
    """An invalid document; ``statement`` is the 0-based index of the offending statement (None
    for a document-level problem) and the message names it."""

    def __init__(self, message: str, statement: int | None = None):
        super().__init__(message)
        self.message = message
        self.statement = statement


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Principals:
    """The ``Principal`` of a trust statement. Service names are kept without an account prefix
    (``123@fc.aliyuncs.com`` trusts ``fc.aliyuncs.com``)."""

    services: frozenset[str]
    ram: GlobSet | None
    federated: frozenset[str]


@dataclass(frozen=True)
class CompiledStatement:
    allow: bool
    actions: GlobSet
    not_action: bool
    resources: GlobSet | None  # None in trust statements
    not_resource: bool
    condition: CompiledCondition | None
    principals: Principals | None
    label: str  # "Statement[2] (Sid 'ReadLogs')", for messages
    policy: str = ""  # the policy's name, when it has one

    def action_applies(self, action_lower: str) -> bool:
        return self.actions.matches(action_lower) != self.not_action

    def resource_applies(self, resource: str) -> bool:
        if self.resources is None:
            return True
        return self.resources.matches(resource) != self.not_resource


@dataclass(frozen=True)
class CompiledPolicy:
    """One checked document: its statements compiled, its text kept as given."""

    kind: PolicyKind
    text: str
    statements: tuple[CompiledStatement, ...]


def _strings(value: Any, what: str, where: str, index: int) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v for v in items):
        raise PolicyDocumentError(f"{where}: {what} must be a non-empty string or a list of them", index)
    return items


def _label(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"Statement[{index}] (Sid {sid!r})" if isinstance(sid, str) and sid else f"Statement[{index}]"


def describe(statement: CompiledStatement) -> str:
    """``policy 'ReadLogs' Statement[0]`` or just the statement's label."""
    return f"policy {statement.policy!r} {statement.label}" if statement.policy else statement.label


def _one_of(
    statement: Mapping[str, Any], first: str, second: str, where: str, index: int
) -> tuple[Any, bool]:
    has_first, has_second = first in statement, second in statement
    if has_first and has_second:
        raise PolicyDocumentError(f"{where}: give either {first} or {second}, not both", index)
    if not has_first and not has_second:
        raise PolicyDocumentError(f"{where}: {first} (or {second}) is required", index)
    return (statement[first], False) if has_first else (statement[second], True)


def _principals(value: Any, where: str, index: int) -> Principals:
    if not isinstance(value, dict) or not value:
        raise PolicyDocumentError(
            f"{where}: Principal must be an object with Service, RAM or Federated lists", index
        )
    unknown = set(value) - set(_PRINCIPAL_KINDS)
    if unknown:
        raise PolicyDocumentError(
            f"{where}: unknown Principal kind {sorted(unknown)[0]!r} (expected Service, RAM or Federated)",
            index,
        )
    services = frozenset(
        _ACCOUNT_PREFIX.sub("", s).lower()
        for s in (_strings(value["Service"], "Principal.Service", where, index) if "Service" in value else [])
    )
    ram_arns = _strings(value["RAM"], "Principal.RAM", where, index) if "RAM" in value else []
    for arn in ram_arns:
        if arn != "*" and not arn.startswith("acs:ram::"):
            raise PolicyDocumentError(
                f"{where}: Principal.RAM {arn!r} must be a RAM ARN like 'acs:ram::<account>:root'", index
            )
    federated = (
        frozenset(_strings(value["Federated"], "Principal.Federated", where, index))
        if "Federated" in value
        else frozenset()
    )
    return Principals(services, GlobSet.of(ram_arns) if ram_arns else None, federated)


def _compile_statement(index: int, statement: Any, kind: PolicyKind, name: str) -> CompiledStatement:
    if not isinstance(statement, dict):
        raise PolicyDocumentError(f"Statement[{index}] must be an object", index)
    where = _label(index, statement)
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise PolicyDocumentError(f"{where}: unknown element {sorted(unknown)[0]!r}", index)
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyDocumentError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect!r}", index)
    raw_actions, not_action = _one_of(statement, "Action", "NotAction", where, index)
    actions = _strings(raw_actions, "Action", where, index)
    for action in actions:
        if not _ACTION.match(action):
            raise PolicyDocumentError(
                f"{where}: action {action!r} must be '*' or '<service>:<operation>' (e.g. 'oss:GetObject')",
                index,
            )
    resources: GlobSet | None = None
    not_resource = False
    principals: Principals | None = None
    if kind is PolicyKind.TRUST:
        if "Resource" in statement or "NotResource" in statement:
            raise PolicyDocumentError(
                f"{where}: a trust policy statement names a Principal, not a Resource", index
            )
        if "Principal" not in statement:
            raise PolicyDocumentError(f"{where}: a trust policy statement needs a Principal", index)
        principals = _principals(statement["Principal"], where, index)
    else:
        if "Principal" in statement:
            raise PolicyDocumentError(f"{where}: Principal belongs in a role's trust policy only", index)
        raw_resources, not_resource = _one_of(statement, "Resource", "NotResource", where, index)
        arns = _strings(raw_resources, "Resource", where, index)
        for arn in arns:
            if arn != "*" and not arn.startswith("acs:"):
                raise PolicyDocumentError(
                    f"{where}: resource {arn!r} must be '*' or an ARN starting with 'acs:'", index
                )
        resources = GlobSet.of(arns)
    condition = None
    if "Condition" in statement:
        try:
            condition = compile_condition(statement["Condition"])
        except ConditionError as exc:
            raise PolicyDocumentError(f"{where}: Condition: {exc}", index) from None
    return CompiledStatement(
        allow=effect == "Allow",
        actions=GlobSet.of(actions, ignore_case=True),
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        condition=condition,
        principals=principals,
        label=where,
        policy=name,
    )


def compile_policy(
    document: str | Mapping[str, Any], kind: PolicyKind = PolicyKind.PERMISSION, *, name: str = ""
) -> CompiledPolicy:
    """Check ``document`` (JSON text or an already parsed object) and compile it; ``name`` (the
    policy's) goes into the messages of the decisions its statements make.

    Raises :class:`PolicyDocumentError` naming the offending statement and element."""
    text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
    limit = {
        PolicyKind.PERMISSION: MAX_PERMISSION_POLICY,
        PolicyKind.TRUST: MAX_TRUST_POLICY,
        PolicyKind.SESSION: MAX_SESSION_POLICY,
    }[kind]
    if len(text) > limit:
        raise PolicyDocumentError(
            f"the policy document is {len(text)} characters long; at most {limit} are allowed"
        )
    if isinstance(document, str):
        try:
            parsed = json.loads(document)
        except ValueError as exc:
            raise PolicyDocumentError(f"the policy document is not valid JSON: {exc}") from None
    else:
        parsed = document
    if not isinstance(parsed, dict):
        raise PolicyDocumentError("the policy document must be a JSON object with Version and Statement")
    unknown = set(parsed) - {"Version", "Statement"}
    if unknown:
        raise PolicyDocumentError(
            f"unknown top-level element {sorted(unknown)[0]!r} (expected Version, Statement)"
        )
    if str(parsed.get("Version")) != "1":
        raise PolicyDocumentError(f'Version must be "1", got {parsed.get("Version")!r}')
    statements = parsed.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise PolicyDocumentError("Statement must be a non-empty list of statements")
    compiled = tuple(_compile_statement(i, s, kind, name) for i, s in enumerate(statements))
    return CompiledPolicy(kind, text, compiled)


# -- evaluation -------------------------------------------------------------------------------


class PolicySet:
    """The policies of one identity (user + its groups, or a role), evaluated together.

    Two memos make repeated requests cheap: per action, the statements whose ``Action`` can
    apply; per (action, resource), those whose ``Resource`` applies too, so a request seen before
    only evaluates conditions. Both are bounded and replaced wholesale, never mutated while
    another thread reads them (evaluation is thread-safe)."""

    _MEMO_LIMIT = 4096

    def __init__(self, policies: Iterable[CompiledPolicy]):
        statements = [s for p in policies for s in p.statements]
        # Denies first: once every deny that applies was ruled out, the first matching allow decides.
        self._statements = tuple(sorted(statements, key=lambda s: s.allow))
        self._by_action: dict[str, tuple[CompiledStatement, ...]] = {}
        self._by_request: dict[tuple[str, str], tuple[CompiledStatement, ...]] = {}

    def __len__(self) -> int:
        return len(self._statements)

    def _candidates(self, action_lower: str) -> tuple[CompiledStatement, ...]:
        found = self._by_action.get(action_lower)
        if found is None:
            found = tuple(s for s in self._statements if s.action_applies(action_lower))
            memo = self._by_action if len(self._by_action) < self._MEMO_LIMIT else {}
            memo[action_lower] = found
            self._by_action = memo
        return found

    def applicable(self, action: str, resource: str) -> tuple[CompiledStatement, ...]:
        """The statements whose Action and Resource both name this request, denies first."""
        key = (action, resource)
        found = self._by_request.get(key)
        if found is None:
            found = tuple(s for s in self._candidates(action.lower()) if s.resource_applies(resource))
            memo = self._by_request if len(self._by_request) < self._MEMO_LIMIT else {}
            memo[key] = found
            self._by_request = memo
        return found

    def decide(
        self, action: str, resource: str, context: Mapping[str, str]
    ) -> tuple[Decision, CompiledStatement | None]:
        """The decision and the statement that made it (None for an implicit deny).
        ``context`` keys must be lower-case."""
        for statement in self.applicable(action, resource):
            if statement.condition is not None and not statement.condition.holds(context):
                continue
            return (Decision.ALLOW if statement.allow else Decision.EXPLICIT_DENY), statement
        return Decision.IMPLICIT_DENY, None


def decide_all(
    sets: Sequence[PolicySet], action: str, resource: str, context: Mapping[str, str]
) -> tuple[Decision, CompiledStatement | None]:
    """Every set must allow (a role's policies and an STS session policy: the intersection);
    the first deny decides."""
    allowed_by: CompiledStatement | None = None
    for policy_set in sets:
        decision, statement = policy_set.decide(action, resource, context)
        if decision is not Decision.ALLOW:
            return decision, statement
        allowed_by = allowed_by or statement
    return Decision.ALLOW, allowed_by


# -- trust ------------------------------------------------------------------------------------


def trusts(
    policy: CompiledPolicy,
    *,
    service: str | None = None,
    ram_arns: Sequence[str] = (),
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether a trust policy lets a service (``fc.aliyuncs.com``) or a RAM identity (any of
    ``ram_arns``: the caller's ARN and its account's ``root`` ARN) call ``sts:AssumeRole``."""
    ctx = context or {}
    allowed = False
    for statement in policy.statements:
        principals = statement.principals
        if principals is None or not statement.action_applies("sts:assumerole"):
            continue
        named = (service is not None and service.lower() in principals.services) or (
            principals.ram is not None and any(principals.ram.matches(arn) for arn in ram_arns)
        )
        if not named or (statement.condition is not None and not statement.condition.holds(ctx)):
            continue
        if not statement.allow:
            return False
        allowed = True
    return allowed
