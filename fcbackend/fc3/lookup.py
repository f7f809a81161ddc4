"""Finding FC 3.0 functions, versions and aliases in the shared store, with FC 3.0's errors.

The store keeps FC 3.0 functions under their storage service (see :mod:`fcbackend.fc3.names`);
the 2.0 lookups in :class:`fcbackend.api.state.BackendState` would answer a missing one with
"service 'fc3~f' does not exist". Here every miss names the function as the caller wrote it, with
FC 3.0's codes (``FunctionNotFound``, ``VersionNotFound``, ``AliasNotFound``).
"""

from __future__ import annotations

from typing import Any

from fcbackend.api.errors import FcError, invalid, not_found
from fcbackend.api.state import ALIAS, FUNCTION, LATEST, SERVICE, VERSION, BackendState
from fcbackend.fc3.names import FunctionRef, parse_name, public_name

FC3_MARKER = "_fc3"


def function_not_found(name: str) -> FcError:
    return not_found("FunctionNotFound", f"function '{name}' does not exist")


def ref_of(name: str) -> FunctionRef:
    return parse_name(name)


def fc3_ref(name: str) -> FunctionRef:
    """A reference that must be an FC 3.0 function: writes to ``svc$fn`` (an FC 2.0 function)
    are refused, those go through the 2.0 API."""
    ref = parse_name(name)
    if ref.fc2:
        raise invalid(
            f"'{name}' names function '{ref.function}' of FC 2.0 service '{ref.service}'; "
            "manage it with the 2016-08-15 API"
        )
    return ref


def latest_doc(state: BackendState, ref: FunctionRef) -> dict[str, Any]:
    doc = state.meta.get(FUNCTION, ref.service, ref.function)
    if doc is None:
        raise function_not_found(ref.name)
    return doc


def storage_doc(state: BackendState, ref: FunctionRef) -> dict[str, Any]:
    """The storage service document of an FC 3.0 function (its VPC bindings live there)."""
    doc = state.meta.get(SERVICE, "", ref.service)
    if doc is None:
        raise function_not_found(ref.name)
    return doc


def resolve(state: BackendState, ref: FunctionRef, qualifier: str | None) -> str:
    """The version id a qualifier names for reads: LATEST, a version id, or an alias's main
    version (an alias's weights only split invocations)."""
    if not qualifier or qualifier == LATEST:
        return LATEST
    if qualifier.isdigit():
        if state.meta.get(VERSION, ref.service, qualifier) is None:
            latest_doc(state, ref)
            raise not_found(
                "VersionNotFound", f"version '{qualifier}' of function '{ref.name}' does not exist"
            )
        return qualifier
    alias = state.meta.get(ALIAS, ref.service, qualifier)
    if alias is None:
        latest_doc(state, ref)
        raise not_found("AliasNotFound", f"alias '{qualifier}' of function '{ref.name}' does not exist")
    return str(alias["versionId"])


def function_doc(
    state: BackendState, ref: FunctionRef, qualifier: str | None = None
) -> tuple[dict[str, Any], str]:
    """The function as of ``qualifier`` and the version that names."""
    version_id = resolve(state, ref, qualifier)
    if version_id == LATEST:
        return latest_doc(state, ref), LATEST
    snapshot = state.meta.get(VERSION, ref.service, version_id)
    assert snapshot is not None
    doc = snapshot["_snapshot"]["functions"].get(ref.function)
    if doc is None:
        raise function_not_found(f"{ref.name}:{qualifier}")
    return doc, version_id


def translate(err: FcError, ref: FunctionRef) -> FcError:
    """A 2.0 lookup error (from the shared invoke machinery) as FC 3.0 words it."""
    if err.code in ("ServiceNotFound", "FunctionNotFound"):
        return function_not_found(ref.name)
    if err.code in ("VersionNotFound", "AliasNotFound"):
        message = err.message.replace(f"of service '{ref.service}'", f"of function '{ref.name}'")
        return FcError(err.status, err.code, message, err.headers)
    return err


def fc2_view(state: BackendState, service: str, function_doc_: dict[str, Any]) -> dict[str, Any]:
    """An FC 2.0 function shown as an FC 3.0 one (``svc$fn``): its service's settings (role, log,
    VPC, NAS, OSS mounts, internet access) are function settings in FC 3.0."""
    svc = state.meta.get(SERVICE, "", service) or {}
    name = public_name(service, str(function_doc_["functionName"]))
    cfg = state.config
    view = {k: v for k, v in function_doc_.items() if not k.startswith("_")}
    for key in ("role", "logConfig", "vpcConfig", "nasConfig", "ossMountConfig", "tracingConfig"):
        if key in svc:
            view[key] = svc[key]
    view["internetAccess"] = bool(svc.get("internetAccess", True))
    view["functionName"] = name
    view["functionArn"] = f"acs:fc:{cfg.region}:{cfg.account_id}:functions/{name}"
    view["layers"] = [{"arn": arn, "size": 0} for arn in (function_doc_.get("layers") or [])]
    view.update(state="Active", lastUpdateStatus="Successful")
    return view
