"""The rest of the FC 3.0 API: VPC bindings, instances, regions, resource groups, and the
operations this backend refuses.

* VPC bindings are records on the function (``POST/GET/DELETE …/vpc-bindings``): there is no VPC
  locally, so they restrict nothing; they exist so templates and Terraform find what they wrote.
* ``ListInstances`` lists the scheduler's live instances of the function (filters ``qualifier``,
  ``instanceIds``, ``limit``).
* Sessions, snapshots and scaling configs (newer APIs) are refused with 501 ``NotSupported``
  naming the operation, never answered with something that looks like success.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError, conflict, invalid, not_found
from fcbackend.api.state import FUNCTION, LATEST, SERVICE
from fcbackend.fc3.http import no_content, ok, query, query_int, query_json_list, read_object, state_of
from fcbackend.fc3.lookup import fc3_ref, latest_doc, ref_of, resolve, storage_doc
from fcbackend.fc3.validation import check_fields, string


async def create_vpc_binding(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = check_fields(await read_object(request), {"vpcId": string(min_len=1, max_len=50)})
    if "vpcId" not in body:
        raise invalid("vpcId is required")
    with state.meta.transaction():
        doc = storage_doc(state, ref)
        bindings = list(doc.get("vpcBindings") or [])
        if body["vpcId"] in bindings:
            raise conflict(
                "VpcBindingAlreadyExists", f"function '{ref.name}' is already bound to {body['vpcId']}"
            )
        doc["vpcBindings"] = bindings + [body["vpcId"]]
        state.meta.put(SERVICE, "", ref.service, doc)
    return ok(request, {})


async def list_vpc_bindings(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    return ok(request, {"vpcIds": list(storage_doc(state, ref).get("vpcBindings") or [])})


async def delete_vpc_binding(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    vpc_id = request.path_params["vpc"]
    with state.meta.transaction():
        doc = storage_doc(state, ref)
        bindings = list(doc.get("vpcBindings") or [])
        if vpc_id not in bindings:
            raise not_found("VpcBindingNotFound", f"function '{ref.name}' is not bound to {vpc_id}")
        doc["vpcBindings"] = [b for b in bindings if b != vpc_id]
        state.meta.put(SERVICE, "", ref.service, doc)
    return no_content(request)


async def list_instances(request: Request) -> Response:
    state = state_of(request)
    ref = ref_of(request.path_params["function"])
    if ref.fc2:
        state.latest_function_doc(ref.service, ref.function)
    else:
        latest_doc(state, ref)
    qualifier = query(request, "qualifier")
    version = resolve(state, ref, qualifier) if qualifier and qualifier != LATEST and not ref.fc2 else None
    wanted = set(query_json_list(request, "instanceIds") or [])
    limit = query_int(request, "limit", 1000, 1, 10000)
    out: list[dict[str, Any]] = []
    for inst in state.scheduler.instances():
        if inst.get("service") != ref.service or inst.get("function") != ref.function:
            continue
        if version is not None and str(inst.get("version")) != version:
            continue
        if wanted and inst.get("id") not in wanted:
            continue
        created = inst.get("started")
        out.append(
            {
                "instanceId": inst.get("id"),
                "versionId": str(inst.get("version", LATEST)),
                "qualifier": qualifier or LATEST,
                "status": "Running" if inst.get("state") not in ("stopping", "gone") else "Stopping",
                "createdTimeMs": int(float(created) * 1000) if isinstance(created, (int, float)) else None,
            }
        )
    return ok(request, {"instances": out[:limit], "requestId": request.scope.get("fc.request_id", "")})


async def describe_regions(request: Request) -> Response:
    region = state_of(request).config.region
    return ok(request, {"Regions": {"Region": [{"RegionId": region, "LocalName": region}]}})


async def change_resource_group(request: Request) -> Response:
    """Moves a function to a resource group (recorded as its ``resourceGroupId``)."""
    state = state_of(request)
    body = check_fields(
        await read_object(request),
        {
            "resourceId": string(min_len=1),
            "newResourceGroupId": string(min_len=1, max_len=128),
            "resourceType": string(),
        },
    )
    if "resourceId" not in body or "newResourceGroupId" not in body:
        raise invalid("resourceId (a function name or ARN) and newResourceGroupId are required")
    name = body["resourceId"].rsplit("functions/", 1)[-1]
    ref = fc3_ref(name)
    with state.meta.transaction():
        doc = latest_doc(state, ref)
        old = doc.get("resourceGroupId", "")
        doc["resourceGroupId"] = body["newResourceGroupId"]
        state.meta.put(FUNCTION, ref.service, ref.function, doc)
    return ok(
        request,
        {
            "resourceId": body["resourceId"],
            "oldResourceGroupId": old,
            "newResourceGroupId": body["newResourceGroupId"],
        },
    )


def not_supported(operation: str) -> Any:
    async def refuse(request: Request) -> Response:
        raise FcError(
            501,
            "NotSupported",
            f"{operation} is not emulated by the local FC backend (sessions, snapshots and scaling "
            "configs are not available here)",
        )

    return refuse
