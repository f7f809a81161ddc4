"""The identity contract between the local RAM/STS twin and every service twin.

Why a module of its own: RAM/STS (``fcbackend.ram``) issues and knows every credential, and each
twin (the FC 2.0/3.0 APIs, OSS, SLS, STS itself) must verify signatures and ask for authorization
the same way without importing RAM's internals. Each twin depends only on these two Protocols and
maps the two exceptions to its own wire errors (OSS ``InvalidAccessKeyId``/``SecurityTokenExpired``/
``InvalidSecurityToken``, SLS, STS, FC ``AccessDenied``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Caller:
    """Who signed a request."""

    access_key_id: str
    account_id: str
    # acs:ram::<acct>:root | acs:ram::<acct>:user/<name> | acs:ram::<acct>:assumed-role/<role>/<session>
    arn: str
    is_root: bool


class CredentialError(Exception):
    """kind: 'UnknownKey' | 'DisabledKey' | 'ExpiredToken' | 'InvalidToken'; each twin maps it to its own
    error code (OSS InvalidAccessKeyId/SecurityTokenExpired/InvalidSecurityToken, SLS, STS, FC)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class AccessDenied(Exception):
    """The caller's policies do not allow ``action`` on ``resource``; ``reason`` says why (an
    explicit deny, or no statement allowing it) in words fit for the twin's error message."""

    def __init__(self, action: str, resource: str, reason: str):
        super().__init__(f"{action} on {resource} is not allowed: {reason}")
        self.action = action
        self.resource = resource
        self.reason = reason


class CredentialStore(Protocol):
    def resolve(self, access_key_id: str, security_token: str | None) -> tuple[str, Caller]:
        """The secret to verify the signature with, and who is calling; raises CredentialError."""
        ...


class Authorizer(Protocol):
    def authorize(
        self, caller: Caller, action: str, resource: str, context: Mapping[str, str] | None = None
    ) -> None:
        """Raises AccessDenied unless the caller's policies allow `action` (e.g. 'oss:PutObject')
        on `resource` (e.g. 'acs:oss:*:<acct>:bucket/key'). Root callers are always allowed."""
        ...
