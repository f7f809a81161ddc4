"""SignalResource (``ros stack signal``): a signal to a WaitConditionHandle, sent by hand.

Why through the handle's provider: the signal must land exactly where one POSTed to the handle's
URL lands (the backend's ROS callbacks service), so the provider — the only part that knows the
handle's address — sends it. The stack is not locked: signals arrive while an operation waits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resource_types.base import ProviderContext, ProviderError
from rosengine.engine.clients import ClientFactory
from rosengine.engine.errors import STACK_VALIDATION_FAILED, StackError
from rosengine.engine.placeholders import WAIT_CONDITION, WAIT_CONDITION_HANDLE
from rosengine.state.models import ROLE_CURRENT, ResourceRecord, StackRecord

if TYPE_CHECKING:
    from rosengine.engine.stack_engine import StackEngine

SIGNAL_STATUSES = ("SUCCESS", "FAILURE", "WARNING")


def _handle_record(engine: StackEngine, stack: StackRecord, logical_id: str) -> ResourceRecord:
    rows = {r.logical_id: r for r in engine.store.get_resources(stack.id, role=ROLE_CURRENT)}
    record = rows.get(logical_id)
    if record is None:
        raise StackError(
            "ResourceNotFound", f"The Resource ({logical_id}) could not be found in Stack {stack.name}."
        )
    if record.type == WAIT_CONDITION:
        handle = str(record.properties.get("Handle") or "")
        found = next((r for r in rows.values() if r.physical_id == handle), None)
        if found is None:
            raise StackError(
                STACK_VALIDATION_FAILED,
                f"{logical_id} waits on a handle of another stack ({handle}); signal that handle there",
            )
        record = found
    if record.type != WAIT_CONDITION_HANDLE:
        raise StackError(
            STACK_VALIDATION_FAILED,
            f"{logical_id} is {record.type}: only a WaitConditionHandle (or a WaitCondition) takes signals",
        )
    if not record.physical_id:
        raise StackError(STACK_VALIDATION_FAILED, f"{record.logical_id} has not been created yet")
    return record


def send_signal(
    engine: StackEngine, stack: StackRecord, logical_id: str, signal: dict[str, Any]
) -> dict[str, Any]:
    status = str(signal.get("status") or "").upper()
    if status not in SIGNAL_STATUSES:
        raise StackError(
            STACK_VALIDATION_FAILED, f"Status must be SUCCESS, FAILURE or WARNING, not {status!r}"
        )
    record = _handle_record(engine, stack, logical_id)
    body = {key: value for key, value in {**signal, "status": status}.items() if value is not None}
    clients = ClientFactory(echo=engine.echo, builders=engine.client_builders)
    ident = stack.identity
    ctx = ProviderContext(
        stack_name=stack.name,
        stack_id=stack.id,
        region=ident.get("region", ""),
        account_id=ident.get("account_id", ""),
        logical_id=record.logical_id,
        resource_type=record.type,
        clients=clients,
    )
    from resource_types.ros.wait_condition_handle import WaitConditionHandleProvider
    from rosengine.clients.fc import FcApiError

    try:
        return WaitConditionHandleProvider().signal(ctx, str(record.physical_id), body)
    except FcApiError as exc:
        raise StackError(exc.error_code or "SignalRefused", exc.message) from exc
    except ProviderError as exc:
        raise StackError(exc.code, exc.message) from exc
    finally:
        clients.close()
