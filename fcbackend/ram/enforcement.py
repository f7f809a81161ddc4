"""How strictly the local twins apply RAM policies: the ``ROS_IAM_ENFORCEMENT`` switch.

* ``enforce`` (default) — a RAM user's key or an STS session may do only what its policies allow;
  a denied request gets the twin's own error (FC/OSS/SLS ``AccessDenied``, STS ``NoPermission``).
  Trust policies decide who may assume a role, and which roles hand credentials to functions.
* ``soft`` — the same decisions are made and every would-be denial is logged (the backend log, and
  the function's log for a role that would give it no credentials), but the request goes through.
  For porting an application whose policies are not right yet.
* ``off`` — signatures are still verified (an unknown key is still refused), policies are not
  evaluated at all.

The root account (the backend's own keys) is never restricted. Why enforce by default: a template
whose role lacks a permission then fails locally the way it would fail in the cloud, instead of
passing here and failing after deployment (LocalStack offers enforcement only in its paid tier,
and off by default).
"""

from __future__ import annotations

import os
from enum import Enum

ENVIRONMENT_VARIABLE = "ROS_IAM_ENFORCEMENT"


class Enforcement(Enum):
    OFF = "off"
    SOFT = "soft"
    ENFORCE = "enforce"

    @classmethod
    def parse(cls, text: str) -> Enforcement:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"{ENVIRONMENT_VARIABLE}={text!r} is not one of: off, soft, enforce") from None


def enforcement_from_environment() -> Enforcement:
    """The mode ``ROS_IAM_ENFORCEMENT`` names (``enforce`` when unset); ValueError when invalid."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return Enforcement.parse(value) if value.strip() else Enforcement.ENFORCE
