"""The SLS twin of one backend, built and mounted in one go.

Why a front middleware: SLS requests arrive on the backend's own endpoint (the engine's SLS
client sends them there with the SLS host in ``Host``) and through the gateway; both are claimed
by host (``*.log.aliyuncs.com``), before any FC middleware sees them, so no FC route or custom
domain can shadow them.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from fcbackend.access import Authorizer, Caller, CredentialStore
from fcbackend.sls.api import SlsApi
from fcbackend.sls.fc_logs import FcLogShipper
from fcbackend.sls.hosts import sls_host
from fcbackend.sls.service import SlsService
from fcbackend.sls.signature import SlsAuthenticator
from fcbackend.sls.store import SlsStore


@dataclass
class SlsTwin:
    service: SlsService
    api: SlsApi
    shipper: FcLogShipper
    store: SlsStore

    def log_config_problem(self, project: str, logstore: str) -> str | None:
        """Why FC's ``logConfig`` naming ``project``/``logstore`` cannot be used (None: it can).

        INFERRED (docs/sls.md): real FC refuses a ``logConfig`` whose project or logstore does not
        exist when the service is created or updated; so does the local backend."""
        if self.store.get_project(project) is None:
            return f"logConfig.project: the SLS project '{project}' does not exist (create it first)"
        if not self.service.logstore_exists(project, logstore):
            return f"logConfig.logstore: the logstore '{logstore}' does not exist in SLS project '{project}'"
        return None

    def start(self) -> None:
        self.shipper.start()

    def close(self) -> None:
        self.shipper.close()
        self.store.close()


def build_sls_twin(
    store: SlsStore,
    *,
    region: str,
    account_id: str,
    credentials: CredentialStore,
    authorizer: Authorizer,
    anonymous: Caller,
    signatures_required: bool,
) -> SlsTwin:
    """The twin over ``store``; ``signatures_required=False`` is the backend's ``--no-auth``
    (unsigned requests act as ``anonymous``)."""
    service = SlsService(store, region=region, account_id=account_id)
    authenticator = SlsAuthenticator(credentials, anonymous, required=signatures_required)
    shipper = FcLogShipper(service)
    service.read_barriers.append(shipper.flush)
    return SlsTwin(service, SlsApi(service, authenticator, authorizer), shipper, store)


class SlsFront:
    """Sends requests for an SLS host to the twin, everything else on to ``app``."""

    def __init__(self, app: ASGIApp, api: SlsApi):
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((value for key, value in scope["headers"] if key == b"host"), b"")
            if b".log.aliyuncs.com" in host and sls_host(host.decode("latin-1")) is not None:
                await self.api(scope, receive, send)
                return
        await self.app(scope, receive, send)
