"""The account's root key as the only credential: a :class:`~fcbackend.access.CredentialStore`
and :class:`~fcbackend.access.Authorizer` for a backend without RAM.

Why: the twins verify signatures and ask for authorization through the identity contract of
:mod:`fcbackend.access`; RAM/STS (``fcbackend.ram``) implements it with users, roles and STS
sessions. Where that is not wired in, this knows exactly the backend's own key pair (the root of
the local account), allows the root everything and refuses every other key as unknown.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fcbackend.access import AccessDenied, Caller, CredentialError


class RootOnlyAccess:
    def __init__(self, account_id: str, access_key_id: str, access_key_secret: str):
        self.root = Caller(access_key_id, account_id, f"acs:ram::{account_id}:root", True)
        self._secret = access_key_secret

    def resolve(self, access_key_id: str, security_token: str | None) -> tuple[str, Caller]:
        if not hmac.compare_digest(access_key_id, self.root.access_key_id):
            raise CredentialError("UnknownKey", f"the access key id '{access_key_id}' is not known here")
        if security_token:
            raise CredentialError("InvalidToken", "the root key takes no security token")
        return self._secret, self.root

    def authorize(
        self, caller: Caller, action: str, resource: str, context: Mapping[str, str] | None = None
    ) -> None:
        if not caller.is_root:
            raise AccessDenied(action, resource, "only the account's root key is known to this backend")
