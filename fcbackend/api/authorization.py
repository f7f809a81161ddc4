"""Which RAM action and resource each FC API request is, and the check every signed request passes.

FC names its RAM actions after its API operations (``fc:CreateFunction``, ``fc:InvokeFunction``,
``fc:ListServices`` ...) and its resources
``acs:fc:<region>:<account>:services/<service>[/functions/<function>[/triggers/<trigger>]]``,
``.../services/<service>/aliases/<alias>``, ``.../services/<service>/versions/<version>``,
``acs:fc:<region>:<account>:layers/<layer>/versions/<version>`` and
``acs:fc:<region>:<account>:custom-domains/<domain>``
(https://www.alibabacloud.com/help/en/functioncompute/fc-2-0/user-guide/policies). A create or a
listing names the collection (``services/*``, ``services/<s>/functions/*``): the new object's
name is in the body, not yet known when the request is authorized. An invocation of
``svc.qualifier`` names ``services/svc.qualifier/functions/fn``, as the path does (INFERRED:
FC's documents show the qualified form).

``/local/*`` routes are rosengine's own (status, logs, metrics, async tasks): reads are
``fc:GetLocal…`` actions (a read-only policy with ``fc:Get*`` covers them), the rest name the
FC operation they stand for.

Why a table per API version: FC 3.0 (``/2023-03-30/``) registers its own with
:func:`register_routes` (:mod:`fcbackend.fc3.routes`, one action and resource on every row of its
route table: ``fc:<Operation>`` on ``functions/<function>[/triggers|aliases|versions/...]``,
``layers/...``, ``custom-domains/...``), and :func:`authorize_request` serves both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fcbackend.access import AccessDenied, Authorizer, Caller
from fcbackend.api.errors import FcError

_SEGMENT = "[^/]+"


@dataclass(frozen=True)
class FcRoute:
    method: str
    pattern: re.Pattern[str]
    action: str
    resource: str  # template over the pattern's groups, after "acs:fc:<region>:<account>:"


def _route(method: str, path: str, action: str, resource: str) -> FcRoute:
    """``{name}`` matches one path segment, ``{name:path}`` the rest of the path (slashes too)."""
    regex = re.sub(
        r"\{(\w+)(:path)?\}",
        lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else _SEGMENT})",
        path,
    )
    return FcRoute(method, re.compile(f"^{regex}$"), f"fc:{action}", resource)


_FN = "services/{service}/functions/{function}"
_FC2 = [
    ("POST", "/services/{service}/functions/{function}/invocations", "InvokeFunction", _FN),
    ("GET", "/services", "ListServices", "services/*"),
    ("POST", "/services", "CreateService", "services/*"),
    ("GET", "/services/{service}", "GetService", "services/{service}"),
    ("PUT", "/services/{service}", "UpdateService", "services/{service}"),
    ("DELETE", "/services/{service}", "DeleteService", "services/{service}"),
    ("GET", "/services/{service}/functions", "ListFunctions", "services/{service}/functions/*"),
    ("POST", "/services/{service}/functions", "CreateFunction", "services/{service}/functions/*"),
    ("GET", "/services/{service}/functions/{function}", "GetFunction", _FN),
    ("PUT", "/services/{service}/functions/{function}", "UpdateFunction", _FN),
    ("DELETE", "/services/{service}/functions/{function}", "DeleteFunction", _FN),
    ("GET", "/services/{service}/functions/{function}/code", "GetFunctionCode", _FN),
    ("GET", "/services/{service}/functions/{function}/triggers", "ListTriggers", _FN + "/triggers/*"),
    ("POST", "/services/{service}/functions/{function}/triggers", "CreateTrigger", _FN + "/triggers/*"),
    (
        "GET",
        "/services/{service}/functions/{function}/triggers/{trigger}",
        "GetTrigger",
        _FN + "/triggers/{trigger}",
    ),
    (
        "PUT",
        "/services/{service}/functions/{function}/triggers/{trigger}",
        "UpdateTrigger",
        _FN + "/triggers/{trigger}",
    ),
    (
        "DELETE",
        "/services/{service}/functions/{function}/triggers/{trigger}",
        "DeleteTrigger",
        _FN + "/triggers/{trigger}",
    ),
    ("POST", "/services/{service}/versions", "PublishServiceVersion", "services/{service}/versions/*"),
    ("GET", "/services/{service}/versions", "ListServiceVersions", "services/{service}/versions/*"),
    (
        "DELETE",
        "/services/{service}/versions/{version}",
        "DeleteServiceVersion",
        "services/{service}/versions/{version}",
    ),
    ("POST", "/services/{service}/aliases", "CreateAlias", "services/{service}/aliases/*"),
    ("GET", "/services/{service}/aliases", "ListAliases", "services/{service}/aliases/*"),
    ("GET", "/services/{service}/aliases/{alias}", "GetAlias", "services/{service}/aliases/{alias}"),
    ("PUT", "/services/{service}/aliases/{alias}", "UpdateAlias", "services/{service}/aliases/{alias}"),
    ("DELETE", "/services/{service}/aliases/{alias}", "DeleteAlias", "services/{service}/aliases/{alias}"),
    ("GET", "/layers", "ListLayers", "layers/*"),
    ("POST", "/layers/{layer}/versions", "PublishLayerVersion", "layers/{layer}/versions/*"),
    ("GET", "/layers/{layer}/versions", "ListLayerVersions", "layers/{layer}/versions/*"),
    ("GET", "/layers/{layer}/versions/{version}", "GetLayerVersion", "layers/{layer}/versions/{version}"),
    (
        "DELETE",
        "/layers/{layer}/versions/{version}",
        "DeleteLayerVersion",
        "layers/{layer}/versions/{version}",
    ),
    ("PUT", "/layers/{layer}/acl", "PutLayerACL", "layers/{layer}"),
    ("PUT", "/services/{service}/functions/{function}/provision-config", "PutProvisionConfig", _FN),
    ("GET", "/services/{service}/functions/{function}/provision-config", "GetProvisionConfig", _FN),
    ("DELETE", "/services/{service}/functions/{function}/provision-config", "PutProvisionConfig", _FN),
    ("GET", "/provision-configs", "ListProvisionConfigs", "services/*"),
    ("PUT", "/services/{service}/functions/{function}/on-demand-config", "PutFunctionOnDemandConfig", _FN),
    ("GET", "/services/{service}/functions/{function}/on-demand-config", "GetFunctionOnDemandConfig", _FN),
    (
        "DELETE",
        "/services/{service}/functions/{function}/on-demand-config",
        "DeleteFunctionOnDemandConfig",
        _FN,
    ),
    ("GET", "/on-demand-configs", "ListOnDemandConfigs", "services/*"),
    (
        "PUT",
        "/services/{service}/functions/{function}/async-invoke-config",
        "PutFunctionAsyncInvokeConfig",
        _FN,
    ),
    (
        "GET",
        "/services/{service}/functions/{function}/async-invoke-config",
        "GetFunctionAsyncInvokeConfig",
        _FN,
    ),
    (
        "DELETE",
        "/services/{service}/functions/{function}/async-invoke-config",
        "DeleteFunctionAsyncInvokeConfig",
        _FN,
    ),
    (
        "GET",
        "/services/{service}/functions/{function}/async-invoke-configs",
        "ListFunctionAsyncInvokeConfigs",
        _FN,
    ),
    (
        "GET",
        "/services/{service}/functions/{function}/stateful-async-invocations",
        "ListStatefulAsyncInvocations",
        _FN,
    ),
    (
        "GET",
        "/services/{service}/functions/{function}/stateful-async-invocations/{id}",
        "GetStatefulAsyncInvocation",
        _FN,
    ),
    (
        "PUT",
        "/services/{service}/functions/{function}/stateful-async-invocations/{id}",
        "StopStatefulAsyncInvocation",
        _FN,
    ),
    ("GET", "/stateful-async-invocation-functions", "ListStatefulAsyncInvocationFunctions", "services/*"),
    ("GET", "/services/{service}/functions/{function}/instances", "ListInstances", _FN),
    ("GET", "/services/{service}/functions/{function}/instances/{instance}/exec", "InstanceExec", _FN),
    ("POST", "/custom-domains", "CreateCustomDomain", "custom-domains/*"),
    ("GET", "/custom-domains", "ListCustomDomains", "custom-domains/*"),
    ("GET", "/custom-domains/{domain}", "GetCustomDomain", "custom-domains/{domain}"),
    ("PUT", "/custom-domains/{domain}", "UpdateCustomDomain", "custom-domains/{domain}"),
    ("DELETE", "/custom-domains/{domain}", "DeleteCustomDomain", "custom-domains/{domain}"),
    ("POST", "/tag", "TagResource", "services/*"),
    ("DELETE", "/tag", "UntagResource", "services/*"),
    ("GET", "/tag", "GetResourceTags", "services/*"),
    ("GET", "/tags", "ListTaggedResources", "services/*"),
    ("GET", "/account-settings", "GetAccountSettings", "*"),
    ("GET", "/reservedCapacities", "ListReservedCapacities", "*"),
    ("GET", "/local/status", "GetLocalStatus", "*"),
    ("GET", "/local/instances", "GetLocalInstances", "*"),
    ("GET", "/local/invocations", "GetLocalInvocations", "*"),
    ("GET", "/local/metrics", "GetLocalMetrics", "*"),
    ("GET", "/local/async-tasks", "GetLocalAsyncTasks", "*"),
    ("PUT", "/local/async-tasks/{id}/stop", "StopStatefulAsyncInvocation", "services/*"),
    ("GET", "/local/logs/{service}/{function}", "GetLocalFunctionLogs", _FN),
    ("POST", "/local/trigger-events/{service}/{function}/{trigger}", "InvokeFunction", _FN),
]

_TABLES: dict[str, list[FcRoute]] = {}


def register_routes(prefix: str, routes: list[tuple[str, str, str, str]]) -> None:
    """Add ``(method, path template, action name, resource template)`` rows for the API version
    under ``prefix`` (e.g. ``/2023-03-30``)."""
    _TABLES.setdefault(prefix, []).extend(_route(*row) for row in routes)


register_routes("/2016-08-15", _FC2)


def request_action(method: str, path: str) -> tuple[str, str] | None:
    """``(action, resource suffix)`` of an FC API request; None for a path no table knows."""
    for prefix, routes in _TABLES.items():
        if not path.startswith(prefix + "/"):
            continue
        rest = path[len(prefix) :]
        for route in routes:
            if route.method != method:
                continue
            match = route.pattern.match(rest)
            if match is not None:
                return route.action, route.resource.format(**match.groupdict())
    return None


def authorize(
    authorizer: Authorizer,
    caller: Caller,
    action: str,
    resource_suffix: str,
    *,
    region: str,
    context: Mapping[str, str] | None = None,
) -> None:
    """FC's 403 ``AccessDenied`` unless ``caller`` may perform ``action`` on the resource."""
    if caller.is_root:
        return
    resource = f"acs:fc:{region}:{caller.account_id}:{resource_suffix}"
    try:
        authorizer.authorize(caller, action, resource, context)
    except AccessDenied as denied:
        raise FcError(
            403,
            "AccessDenied",
            f"the caller {caller.arn} is not authorized to perform {denied.action} on {denied.resource}: "
            f"{denied.reason}",
        ) from None


def authorize_request(
    authorizer: Authorizer,
    caller: Caller,
    method: str,
    path: str,
    *,
    region: str,
    context: Mapping[str, str] | None = None,
) -> None:
    """The check of every signed FC request (both API versions). A route no table names is for
    the root account only: a new route must say which action it is before a RAM user can use it."""
    if caller.is_root:
        return
    found = request_action(method, path)
    if found is None:
        raise FcError(
            403,
            "AccessDenied",
            f"{method} {path} is not an FC operation a RAM policy can grant; use the account's keys",
        )
    authorize(authorizer, caller, found[0], found[1], region=region, context=context)
