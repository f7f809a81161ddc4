"""RAM's names, ids and ARNs: how they look, how they are checked, how they are generated.

Rules from the RAM API references (CreateUser, CreateGroup, CreateRole, CreatePolicy,
https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-dir). Names are
unique without regard to case; a role's ARN carries its name in lower case
(``acs:ram::<account>:role/aliyunfcdefaultrole``, as FC's console shows it: INFERRED beyond the
default role).

Generated keys carry a local marker, so nobody mistakes them for cloud keys: ``LTAI`` + ``local``
+ 15 characters (24 in all, the cloud's length) and ``STS.local`` + 20 characters.
"""

from __future__ import annotations

import re
import secrets
import string
import time

from fcbackend.ram.errors import RamError, invalid, missing

_ALNUM = string.ascii_letters + string.digits
LOCAL_KEY_PREFIX = "LTAIlocal"
LOCAL_STS_PREFIX = "STS.local"
STS_PREFIX = "STS."

# (pattern, min length, max length, what the pattern allows in words)
_NAME_RULES: dict[str, tuple[re.Pattern[str], int, int, str]] = {
    "UserName": (re.compile(r"^[A-Za-z0-9.@_-]+$"), 1, 64, "letters, digits, '.', '@', '_' and '-'"),
    "GroupName": (re.compile(r"^[A-Za-z0-9-]+$"), 1, 64, "letters, digits and '-'"),
    "RoleName": (re.compile(r"^[A-Za-z0-9.-]+$"), 1, 64, "letters, digits, '.' and '-'"),
    # RAM documents letters, digits and '-'; published ROS templates use '_' too (INFERRED: accepted).
    "PolicyName": (re.compile(r"^[A-Za-z0-9_-]+$"), 1, 128, "letters, digits, '_' and '-'"),
    "RoleSessionName": (re.compile(r"^[A-Za-z0-9.@_-]+$"), 2, 64, "letters, digits, '.', '@', '_' and '-'"),
}


def check_name(kind: str, value: str | None) -> str:
    """``value`` if it is a valid ``kind`` (``UserName``, ``RoleName`` ...); RAM's error otherwise."""
    if value is None or value == "":
        raise missing(kind)
    pattern, low, high, allowed = _NAME_RULES[kind]
    if not low <= len(value) <= high or not pattern.match(value):
        raise invalid(
            kind, f"The parameter {kind} is wrongly formed: {value!r} must be {low}-{high} {allowed}."
        )
    return value


def check_length(parameter: str, value: str | None, maximum: int) -> str:
    text = value or ""
    if len(text) > maximum:
        raise invalid(parameter, f"The parameter {parameter} is too long: at most {maximum} characters.")
    return text


def key(name: str) -> str:
    """The store key of a name (RAM names are unique regardless of case)."""
    return name.lower()


def new_access_key() -> tuple[str, str]:
    return LOCAL_KEY_PREFIX + _random(15), _random(30)


def new_sts_key() -> tuple[str, str, str]:
    """(access key id, secret, security token) of a temporary credential."""
    return LOCAL_STS_PREFIX + _random(20), _random(44), "CAIS.local." + secrets.token_urlsafe(96)


def new_numeric_id(digits: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def iso_time(epoch: float) -> str:
    """RAM's and STS's date form, ``2015-01-23T12:33:18Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def root_arn(account_id: str) -> str:
    return f"acs:ram::{account_id}:root"


def user_arn(account_id: str, name: str) -> str:
    return f"acs:ram::{account_id}:user/{name}"


def role_arn(account_id: str, name: str) -> str:
    return f"acs:ram::{account_id}:role/{name.lower()}"


def assumed_role_arn(account_id: str, role: str, session: str) -> str:
    return f"acs:ram::{account_id}:assumed-role/{role.lower()}/{session}"


def resource(account_id: str, kind: str, name: str) -> str:
    """The resource a RAM permission names: ``acs:ram::<account>:user/<name>`` (policies may
    write ``acs:ram:*:<account>:user/<name>``; ``*`` also matches the empty region)."""
    return f"acs:ram::{account_id}:{kind}/{name}"


_ROLE_ARN = re.compile(r"^acs:ram::(?P<account>[^:]+):role/(?P<name>[^/]+)$", re.IGNORECASE)


def parse_role_arn(arn: str) -> tuple[str, str]:
    """(account id, role name) of ``acs:ram::<account>:role/<name>``; RAM's error otherwise."""
    match = _ROLE_ARN.match(arn.strip())
    if match is None:
        raise RamError(
            "InvalidParameter.RoleArn",
            f"The parameter RoleArn is wrongly formed: {arn!r} is not 'acs:ram::<account>:role/<name>'.",
        )
    return match["account"], match["name"]
