"""Builds the RAM/STS twin for one backend and mounts it on the backend's app.

Why one function: the backend composes its services in one place (``fcbackend.app.create_app``);
everything RAM/STS needs from it is here — the store (opened by ``fcbackend.store_factory``), the
account (the backend's key pair is its root), the enforcement mode (``ROS_IAM_ENFORCEMENT``), the
clock — and everything it gives back is on :class:`Identity`: ``access`` (every twin's
:class:`~fcbackend.access.CredentialStore` and :class:`~fcbackend.access.Authorizer`),
``function_credentials`` (role credentials for functions) and :meth:`Identity.mount` (the RPC
endpoint, outermost in the app).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from fcbackend.clock import Clock
from fcbackend.ram.access_control import RamAccess
from fcbackend.ram.account import RamAccount
from fcbackend.ram.endpoint import RpcEndpoint, RpcFront
from fcbackend.ram.enforcement import Enforcement, enforcement_from_environment
from fcbackend.ram.function_credentials import FunctionRoleCredentials
from fcbackend.ram.ram_api import RamApi
from fcbackend.ram.rpc import RpcAuthenticator
from fcbackend.ram.store import RamStore
from fcbackend.ram.sts import StsService
from fcbackend.ram.sts_api import StsApi


@dataclass
class Identity:
    account: RamAccount
    access: RamAccess
    sts: StsService
    endpoint: RpcEndpoint
    function_credentials: FunctionRoleCredentials
    store: RamStore

    def mount(self, app: Starlette) -> None:
        """Put the RAM/STS endpoint in front of every other part of ``app``: call this after
        every other middleware was added (the last one added runs first)."""
        app.add_middleware(RpcFront, endpoint=self.endpoint)

    def close(self) -> None:
        self.store.close()


def build_identity(
    store: RamStore,
    *,
    account_id: str,
    root_access_key_id: str,
    root_access_key_secret: str,
    clock: Clock,
    signatures_required: bool = True,
    enforcement: Enforcement | None = None,
) -> Identity:
    """The RAM/STS twin over ``store``. ``signatures_required=False`` is the backend's
    ``--no-auth``: unsigned RAM/STS calls act as the root account."""
    account = RamAccount(store, account_id=account_id, now=clock.time)
    access = RamAccess(
        account,
        root_access_key_id=root_access_key_id,
        root_access_key_secret=root_access_key_secret,
        enforcement=enforcement or enforcement_from_environment(),
        now=clock.time,
    )
    sts = StsService(account, access, now=clock.time)
    authenticator = RpcAuthenticator(access, access.root, required=signatures_required)
    endpoint = RpcEndpoint(RamApi(account), StsApi(sts), authenticator, access)
    return Identity(account, access, sts, endpoint, FunctionRoleCredentials(sts), store)
