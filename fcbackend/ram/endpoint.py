"""The HTTP face of RAM and STS on the backend's endpoint, and how requests find it.

Two ways in, one dispatcher:

* **by query** — an RPC call sent straight to the backend (``http://127.0.0.1:<port>/?Action=
  AssumeRole&Version=2015-04-01&...``, what an SDK does when its endpoint is the backend): path
  ``/`` with an ``Action`` and a RAM/STS ``Version`` in the query (or, for the Tea SDKs' header
  signature, in ``x-acs-action``/``x-acs-version``);
* **by host** — a request for ``sts[-vpc][.<region>].aliyuncs.com`` or ``ram.aliyuncs.com``, as the
  ``*.aliyuncs.com`` gateway forwards it with the original ``Host``. Then only that product's
  actions are answered.

:class:`RpcFront` sits outermost in the app, so neither custom-domain routing (which would take
``sts.aliyuncs.com`` for a custom domain) nor the FC API's signature check sees these requests.

Other RPC products whose twins answer on the backend (CAS: ``fcbackend.cas``) are added to the
same endpoint (:meth:`RpcEndpoint.add_product`) by the composition: one signature check, one way
in, by query version or by host, for every RPC twin.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from fcbackend.access import Authorizer
from fcbackend.ram import ram_api, sts_api
from fcbackend.ram.calls import ActionCall, Handler
from fcbackend.ram.errors import RamError
from fcbackend.ram.rpc import (
    RpcAuthenticator,
    RpcRequest,
    error_document,
    new_request_id,
    read_request,
    render,
)

_log = logging.getLogger("fcbackend.ram")
_HOSTS = re.compile(
    r"^(?:(?P<sts>sts(?:-vpc)?(?:\.[a-z0-9-]+)?)|(?P<ram>ram(?:\.[a-z0-9-]+)?))\.aliyuncs\.com$"
)
_VERSIONS = (ram_api.VERSION.encode(), sts_api.VERSION.encode())


def product_for_host(host: str) -> str | None:
    """``"sts"`` or ``"ram"`` for those products' cloud host names, else None."""
    match = _HOSTS.match(host.split(":", 1)[0].lower())
    if match is None:
        return None
    return "sts" if match["sts"] else "ram"


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def is_rpc_request(scope: Scope) -> bool:
    """Whether an HTTP request is for RAM or STS (cheap: looked at before any other routing)."""
    if product_for_host(_header(scope, b"host").decode("latin-1")) is not None:
        return True
    if scope["path"] != "/":
        return False
    query: bytes = scope.get("query_string", b"")
    if b"Action=" in query and any(b"Version=" + v in query for v in _VERSIONS):
        return True
    return _header(scope, b"x-acs-version") in _VERSIONS


class RpcEndpoint:
    """Answers RAM and STS RPC calls (an ASGI app)."""

    def __init__(
        self,
        ram: ram_api.RamApi,
        sts: sts_api.StsApi,
        authenticator: RpcAuthenticator,
        authorizer: Authorizer,
    ):
        self.tables: dict[str, tuple[str, dict[str, Handler]]] = {
            "ram": (ram_api.VERSION, ram.actions),
            "sts": (sts_api.VERSION, sts.actions),
        }
        self.authenticator = authenticator
        self.authorizer = authorizer
        self._hosts: dict[str, re.Pattern[str]] = {}
        self._versions: set[bytes] = set(_VERSIONS)

    def add_product(
        self, product: str, version: str, actions: dict[str, Handler], hosts: re.Pattern[str]
    ) -> None:
        """Answer ``product``'s ``actions`` too: requests whose ``Version`` is ``version``, or whose
        host matches ``hosts``, signed and authorized like RAM's and STS's."""
        self.tables[product] = (version, actions)
        self._hosts[product] = hosts
        self._versions.add(version.encode())

    def product_for_host(self, host: str) -> str | None:
        """The product whose cloud host name ``host`` is, if this endpoint answers it."""
        found = product_for_host(host)
        if found is not None:
            return found
        name = host.split(":", 1)[0].lower()
        return next((product for product, hosts in self._hosts.items() if hosts.match(name)), None)

    def claims(self, scope: Scope) -> bool:
        """Whether an HTTP request is for a product of this endpoint (cheap: looked at before any
        other routing)."""
        if not self._hosts:
            return is_rpc_request(scope)
        if self.product_for_host(_header(scope, b"host").decode("latin-1")) is not None:
            return True
        if scope["path"] != "/":
            return False
        query: bytes = scope.get("query_string", b"")
        if b"Action=" in query and any(b"Version=" + v in query for v in self._versions):
            return True
        return _header(scope, b"x-acs-version") in self._versions

    def _handler(self, request: RpcRequest) -> Handler:
        action, version = request.action, request.version
        only = self.product_for_host(request.host)
        for product, (product_version, actions) in self.tables.items():
            if only not in (None, product) or action not in actions:
                continue
            if version != product_version:
                raise RamError(
                    "InvalidVersion",
                    f"Specified parameter Version is not valid: {product} {action} is {product_version}.",
                    400,
                )
            return actions[action]
        known = sorted(a for p, (_, actions) in self.tables.items() if only in (None, p) for a in actions)
        raise RamError(
            "InvalidAction.NotFound",
            f"Specified api is not found, please check your url and method. {action!r} is not "
            f"emulated locally (actions here: {', '.join(known)}).",
            404,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = new_request_id()
        host = ""
        as_xml = False
        try:
            request = await read_request(scope, receive)
            request.request_id = request_id
            host, as_xml = request.host, request.wants_xml
            handler = self._handler(request)
            caller = self.authenticator.authenticate(request)
            call = ActionCall(request.action, request.params, caller, request.context, self.authorizer)
            result: dict[str, Any] = await asyncio.to_thread(handler, call)
            status, document, root = 200, {"RequestId": request_id, **result}, f"{request.action}Response"
        except RamError as error:
            status, document, root = error.status, error_document(error, request_id, host), "Error"
        except Exception as exc:
            _log.exception("RAM/STS request %s failed", request_id)
            internal = RamError(
                "InternalError", f"The request processing has failed due to some unknown error: {exc}", 500
            )
            status, document, root = 500, error_document(internal, request_id, host), "Error"
        body, content_type = render(document, root, as_xml)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-acs-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RpcFront:
    """ASGI middleware: RAM/STS requests to :class:`RpcEndpoint`, everything else on."""

    def __init__(self, app: ASGIApp, endpoint: RpcEndpoint):
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.endpoint.claims(scope):
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)
