"""FC 3.0 HTTP trigger URLs: ``ANY /2023-03-30/proxy/<function>/<trigger>/<path>``.

Each HTTP trigger has its own URL (FC gives ``https://<id>.<region>.fcapp.run``); locally the
function and trigger names in the path say which, and ``/<path>`` is what the function sees. The
trigger's ``methods`` and ``authType`` apply (``function``: signed with the backend's key, FC 3.0's
ACS3 signature or FC's ``FC <id>:<signature>``); ``disableURLInternet: true`` closes the URL
(403), as FC closes the default public URL. The invocation itself is the one every HTTP entry
point shares (:func:`fcbackend.triggers.routes.http_invoke`): event format for built-in runtimes,
raw HTTP for custom runtimes and containers.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError
from fcbackend.api.http import request_id
from fcbackend.api.state import TRIGGER
from fcbackend.fc3.auth import check_fc3_signature
from fcbackend.fc3.lookup import ref_of
from fcbackend.fc3.triggers import PROXY_PREFIX
from fcbackend.triggers.http import auth_type, check_method, check_signature
from fcbackend.triggers.model import TriggerInfo, truthy
from fcbackend.triggers.routes import http_invoke


async def proxy(request: Request) -> Response:
    raw = (request.scope.get("raw_path") or request.scope["path"].encode()).decode("latin-1")
    parts = raw[len(PROXY_PREFIX) :].split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise FcError(
            400,
            "InvalidArgument",
            f"HTTP trigger URLs look like {PROXY_PREFIX}<function>/<trigger>/<path>; got {raw!r}",
        )
    name, trigger_name = unquote(parts[0]), unquote(parts[1])
    path = "/" + unquote(parts[2] if len(parts) == 3 else "")
    state = request.app.state.fc
    ref = ref_of(name)
    doc = state.meta.get(TRIGGER, f"{ref.service}/{ref.function}", trigger_name)
    if doc is None or doc.get("triggerType") != "http":
        raise FcError(404, "TriggerNotFound", f"function '{name}' has no http trigger '{trigger_name}'")
    trigger = TriggerInfo(
        ref.service,
        ref.function,
        trigger_name,
        "http",
        doc.get("triggerConfig") or {},
        doc.get("qualifier") or "LATEST",
    )
    if truthy(trigger.setting("disableURLInternet"), False):
        raise FcError(
            403, "AccessDenied", f"the URL of http trigger '{trigger_name}' is disabled (disableURLInternet)"
        )
    check_method(trigger, request.method)
    if auth_type(trigger) != "anonymous":
        headers = {k.lower(): v for k, v in request.headers.items()}
        config = state.config
        if headers.get("authorization", "").startswith("FC "):
            check_signature(
                trigger,
                method=request.method,
                path=unquote(raw),
                query=request.url.query,
                headers=headers,
                secret_for={config.access_key_id: config.access_key_secret},
            )
        else:
            check_fc3_signature(config, request.method, raw, request.url.query, headers)
    return await http_invoke(
        request,
        service=ref.service,
        function=ref.function,
        qualifier=trigger.qualifier,
        function_path=path,
        request_id=request_id(request),
    )
