"""Puts the OSS HTTP API on the backend's endpoint, in front of everything else.

Why a function of its own: the backend composes its services in one place; this is all OSS needs
from it — the object store's service (shared with ``ros oss`` and OSS triggers), who may call
(the identity contract of :mod:`fcbackend.access`), the account and region.
"""

from __future__ import annotations

from typing import Any

from fcbackend.access import Authorizer, Caller, CredentialStore
from fcbackend.oss.api.app import OssApi, OssFront
from fcbackend.oss.api.context import OssSettings
from fcbackend.oss.service import OssService


def mount_oss_api(
    app: Any,
    service: OssService,
    *,
    credentials: CredentialStore,
    authorizer: Authorizer,
    account_id: str,
    region: str,
    unsigned_caller: Caller | None = None,
) -> OssApi:
    """Add the OSS API to a Starlette ``app`` (before it starts). Call it after the other
    middlewares are added: the last one added sees requests first."""
    api = OssApi(
        service,
        credentials=credentials,
        authorizer=authorizer,
        settings=OssSettings(account_id, region),
        unsigned_caller=unsigned_caller,
    )
    app.add_middleware(OssFront, api=api)
    return api
