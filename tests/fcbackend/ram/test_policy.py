"""RAM policy documents: the grammar check names the offending statement; evaluation follows
RAM's rules (wildcards, NotAction/NotResource, conditions, explicit deny wins, default deny)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fcbackend.ram.policy import (
    Decision,
    PolicyDocumentError,
    PolicyKind,
    PolicySet,
    compile_policy,
    decide_all,
    trusts,
)
from fcbackend.ram.system_policies import SYSTEM_POLICIES, system_policy


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


def _decide(document: dict[str, Any], action: str, resource: str, **context: str) -> Decision:
    policies = PolicySet([compile_policy(document)])
    return policies.decide(action, resource, {k.lower().replace("_", ":"): v for k, v in context.items()})[0]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Permit", "Action": "oss:*", "Resource": "*"}, "Effect must be 'Allow' or 'Deny'"),
        ({"Effect": "Allow", "Resource": "*"}, "Action (or NotAction) is required"),
        ({"Effect": "Allow", "Action": "oss:*"}, "Resource (or NotResource) is required"),
        ({"Effect": "Allow", "Action": "oss", "Resource": "*"}, "action 'oss' must be"),
        ({"Effect": "Allow", "Action": "oss:*", "Resource": "oss:bucket"}, "resource 'oss:bucket' must be"),
        ({"Effect": "Allow", "Action": "oss:*", "NotAction": "oss:Get*", "Resource": "*"}, "not both"),
        ({"Effect": "Allow", "Action": [], "Resource": "*"}, "non-empty"),
        ({"Effect": "Allow", "Action": "oss:*", "Resource": "*", "Extra": 1}, "unknown element 'Extra'"),
        (
            {
                "Effect": "Allow",
                "Action": "oss:*",
                "Resource": "*",
                "Condition": {"IpAddres": {"acs:SourceIp": "1.2.3.4"}},
            },
            "unknown condition operator 'IpAddres'",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "oss:*",
                "Resource": "*",
                "Condition": {"IpAddress": {"acs:SourceIp": "1.2.3"}},
            },
            "not an IP address",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "oss:*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"acs:CurrentTime": "soon"}},
            },
            "ISO 8601",
        ),
        (
            {"Effect": "Allow", "Action": "oss:*", "Resource": "*", "Principal": {"RAM": ["*"]}},
            "trust policy only",
        ),
    ],
)
def test_invalid_statements_are_named(statement: dict[str, Any], expected: str) -> None:
    good = {"Sid": "Fine", "Effect": "Allow", "Action": "oss:GetObject", "Resource": "*"}
    with pytest.raises(PolicyDocumentError) as caught:
        compile_policy(_doc(good, statement))
    assert caught.value.statement == 1
    assert caught.value.message.startswith("Statement[1]")
    assert expected in caught.value.message


def test_document_level_errors() -> None:
    for document, expected in (
        ("{not json", "not valid JSON"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, 'Version must be "1"'),
        ({"Version": "1", "Statement": []}, "non-empty list"),
        ({"Version": "1", "Statement": [], "Id": "x"}, "unknown top-level element 'Id'"),
        (
            json.dumps(_doc(*[{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "*"}] * 120)),
            "at most 6144",
        ),
    ):
        with pytest.raises(PolicyDocumentError) as caught:
            compile_policy(document)
        assert expected in caught.value.message and caught.value.statement is None


def test_wildcards_in_actions_and_resources() -> None:
    document = _doc(
        {"Effect": "Allow", "Action": ["oss:Get*", "log:Post?ogStoreLogs"], "Resource": "acs:oss:*:*:b1/*"}
    )
    assert _decide(document, "oss:GetObject", "acs:oss:*:123:b1/a/b.txt") is Decision.ALLOW
    assert _decide(document, "OSS:getobject", "acs:oss:*:123:b1/x") is Decision.ALLOW  # actions ignore case
    assert (
        _decide(document, "oss:GetObject", "acs:oss:*:123:B1/x") is Decision.IMPLICIT_DENY
    )  # resources do not
    assert _decide(document, "oss:PutObject", "acs:oss:*:123:b1/x") is Decision.IMPLICIT_DENY
    assert _decide(document, "log:PostLogStoreLogs", "acs:oss:*:1:b1/x") is Decision.ALLOW
    assert _decide(document, "log:PostXXLogStoreLogs", "acs:oss:*:1:b1/x") is Decision.IMPLICIT_DENY


def test_a_hostile_wildcard_pattern_stays_cheap() -> None:
    document = _doc({"Effect": "Allow", "Action": "*", "Resource": "acs:" + "*a" * 30 + "*b"})
    assert _decide(document, "oss:GetObject", "acs:" + "a" * 5000) is Decision.IMPLICIT_DENY


def test_explicit_deny_wins_and_default_is_deny() -> None:
    document = _doc(
        {"Effect": "Allow", "Action": "oss:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "oss:DeleteObject", "Resource": "acs:oss:*:*:prod/*"},
    )
    assert _decide(document, "oss:DeleteObject", "acs:oss:*:1:dev/x") is Decision.ALLOW
    assert _decide(document, "oss:DeleteObject", "acs:oss:*:1:prod/x") is Decision.EXPLICIT_DENY
    assert _decide(document, "fc:InvokeFunction", "*") is Decision.IMPLICIT_DENY
    # a deny in another policy of the same identity wins too
    deny = compile_policy(_doc({"Effect": "Deny", "Action": "*", "Resource": "*"}), name="lockout")
    decision, statement = PolicySet([compile_policy(document), deny]).decide("oss:GetObject", "x", {})
    assert decision is Decision.EXPLICIT_DENY and statement is not None and statement.policy == "lockout"


def test_not_action_and_not_resource() -> None:
    everything_but_ram = _doc({"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"})
    assert _decide(everything_but_ram, "oss:PutObject", "*") is Decision.ALLOW
    assert _decide(everything_but_ram, "ram:CreateUser", "*") is Decision.IMPLICIT_DENY
    outside_prod = _doc({"Effect": "Allow", "Action": "oss:*", "NotResource": "acs:oss:*:*:prod/*"})
    assert _decide(outside_prod, "oss:GetObject", "acs:oss:*:1:dev/a") is Decision.ALLOW
    assert _decide(outside_prod, "oss:GetObject", "acs:oss:*:1:prod/a") is Decision.IMPLICIT_DENY


def test_conditions() -> None:
    document = _doc(
        {
            "Effect": "Allow",
            "Action": "oss:GetObject",
            "Resource": "*",
            "Condition": {
                "IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.1.7"]},
                "Bool": {"acs:SecureTransport": "true"},
                "DateLessThan": {"acs:CurrentTime": "2099-01-01T00:00:00Z"},
                "StringLike": {"oss:Prefix": ["reports/*", ""]},
                "NumericLessThanEquals": {"oss:MaxKeys": 100},
            },
        }
    )
    good = {
        "acs:sourceip": "10.1.2.3",
        "acs:securetransport": "true",
        "acs:currenttime": "2024-05-01T00:00:00+08:00",
    }
    good |= {"oss:prefix": "reports/2024", "oss:maxkeys": "50"}
    policies = PolicySet([compile_policy(document)])
    assert policies.decide("oss:GetObject", "x", good)[0] is Decision.ALLOW
    for key, value in (
        ("acs:sourceip", "11.0.0.1"),
        ("acs:securetransport", "false"),
        ("acs:currenttime", "2100-01-01T00:00:00Z"),
        ("oss:prefix", "secret/x"),
        ("oss:maxkeys", "500"),
    ):
        assert policies.decide("oss:GetObject", "x", {**good, key: value})[0] is Decision.IMPLICIT_DENY, key
    missing = dict(good)
    del missing["acs:sourceip"]
    assert policies.decide("oss:GetObject", "x", missing)[0] is Decision.IMPLICIT_DENY


def test_negated_conditions_match_when_the_key_is_absent() -> None:
    document = _doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}},
        },
    )
    policies = PolicySet([compile_policy(document)])
    assert policies.decide("oss:GetObject", "x", {"acs:sourceip": "10.0.0.1"})[0] is Decision.ALLOW
    assert policies.decide("oss:GetObject", "x", {"acs:sourceip": "8.8.8.8"})[0] is Decision.EXPLICIT_DENY
    assert policies.decide("oss:GetObject", "x", {})[0] is Decision.EXPLICIT_DENY


def test_session_policy_intersects() -> None:
    role = PolicySet(
        [compile_policy(_doc({"Effect": "Allow", "Action": ["oss:*", "log:*"], "Resource": "*"}))]
    )
    session = PolicySet(
        [compile_policy(_doc({"Effect": "Allow", "Action": "oss:Get*", "Resource": "*"}), PolicyKind.SESSION)]
    )
    assert decide_all([role, session], "oss:GetObject", "x", {})[0] is Decision.ALLOW
    assert decide_all([role, session], "oss:PutObject", "x", {})[0] is Decision.IMPLICIT_DENY
    assert decide_all([role, session], "fc:GetService", "x", {})[0] is Decision.IMPLICIT_DENY


def test_trust_policies() -> None:
    trust = compile_policy(
        _doc(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["123@fc.aliyuncs.com"]},
            },
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::123:root"]}},
            {
                "Effect": "Deny",
                "Action": "sts:AssumeRole",
                "Principal": {"RAM": ["acs:ram::123:user/mallory"]},
            },
        ),
        PolicyKind.TRUST,
    )
    assert trusts(trust, service="fc.aliyuncs.com")
    assert not trusts(trust, service="ecs.aliyuncs.com")
    assert trusts(trust, ram_arns=["acs:ram::123:user/alice", "acs:ram::123:root"])
    assert not trusts(trust, ram_arns=["acs:ram::123:user/mallory", "acs:ram::123:root"])
    assert not trusts(trust, ram_arns=["acs:ram::999:user/alice", "acs:ram::999:root"])
    with pytest.raises(PolicyDocumentError, match="needs a Principal"):
        compile_policy(_doc({"Effect": "Allow", "Action": "sts:AssumeRole"}), PolicyKind.TRUST)
    with pytest.raises(PolicyDocumentError, match="unknown Principal kind 'Account'"):
        compile_policy(
            _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Account": "1"}}),
            PolicyKind.TRUST,
        )


def test_system_policies_compile_and_mean_what_they_say() -> None:
    for name in SYSTEM_POLICIES:
        assert system_policy(name) is not None, name
    read_only = PolicySet([system_policy("AliyunOSSReadOnlyAccess")])  # type: ignore[list-item]
    assert read_only.decide("oss:GetObject", "acs:oss:*:1:b/k", {})[0] is Decision.ALLOW
    assert read_only.decide("oss:ListObjects", "acs:oss:*:1:b", {})[0] is Decision.ALLOW
    assert read_only.decide("oss:PutObject", "acs:oss:*:1:b/k", {})[0] is Decision.IMPLICIT_DENY
    fc_read = PolicySet([system_policy("AliyunFCReadOnlyAccess")])  # type: ignore[list-item]
    assert fc_read.decide("fc:GetFunction", "x", {})[0] is Decision.ALLOW
    assert fc_read.decide("fc:InvokeFunction", "x", {})[0] is Decision.IMPLICIT_DENY
    assert system_policy("NoSuchPolicy") is None


def test_wildcard_matching_agrees_with_fnmatch() -> None:
    import fnmatch
    import itertools

    from fcbackend.ram.globs import GlobSet

    pieces = ["a", "b", "ab", "*", "?", ":", "/"]
    patterns = ["".join(p) for n in range(1, 5) for p in itertools.product(pieces, repeat=n)]
    texts = ["", "a", "b", "ab", "ba", "aab", "abab", "a:b", "a/b/", "abba", ":a:b:"]
    for pattern in patterns:
        globs = GlobSet.of([pattern])
        for text in texts:
            assert globs.matches(text) == fnmatch.fnmatchcase(text, pattern), (pattern, text)
