"""One RPC action call as the RAM and STS handlers see it: typed parameter access and the
permission check every action makes before it acts.

Why a class: each handler reads a few named parameters (required ones answer ``Missing<Name>``,
booleans and integers are parsed once, the same way) and asks whether its caller may perform
``ram:<Action>``/``sts:<Action>`` on the objects it touches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fcbackend.access import AccessDenied, Authorizer, Caller
from fcbackend.ram.errors import RamError, invalid, missing


@dataclass
class ActionCall:
    action: str
    params: Mapping[str, str]
    caller: Caller
    context: Mapping[str, str]
    authorizer: Authorizer

    def required(self, name: str) -> str:
        value = self.params.get(name, "")
        if value == "":
            raise missing(name)
        return value

    def optional(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else None

    def integer(self, name: str) -> int | None:
        value = self.optional(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise invalid(name, f"The parameter {name} must be an integer, got {value!r}.") from None

    def boolean(self, name: str) -> bool | None:
        value = self.optional(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise invalid(name, f"The parameter {name} must be true or false, got {value!r}.")
        return value.lower() == "true"

    def permit(self, service: str, *resources: str) -> None:
        """Raise ``NoPermission`` unless the caller may perform ``<service>:<Action>`` on every
        one of ``resources``."""
        for resource in resources or ("*",):
            try:
                self.authorizer.authorize(self.caller, f"{service}:{self.action}", resource, self.context)
            except AccessDenied as denied:
                raise RamError(
                    "NoPermission",
                    f"You are not authorized to do this action. You should be authorized by RAM "
                    f"({denied.action} on {denied.resource}: {denied.reason}).",
                    403,
                ) from None


Handler = Callable[[ActionCall], dict[str, Any]]


def paginate(items: list[dict[str, Any]], call: ActionCall) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """RAM's ``Marker``/``MaxItems`` paging (1-1000, default 100): the page and the
    ``IsTruncated``/``Marker`` fields of the answer."""
    size = call.integer("MaxItems") or 100
    if not 1 <= size <= 1000:
        raise invalid("MaxItems", "The parameter MaxItems must be between 1 and 1000.")
    marker = call.optional("Marker")
    start = 0
    if marker is not None:
        if not marker.isdigit():
            raise invalid("Marker", f"The parameter Marker {marker!r} was not returned by a previous call.")
        start = int(marker)
    page = items[start : start + size]
    more = start + size < len(items)
    return page, ({"IsTruncated": True, "Marker": str(start + size)} if more else {"IsTruncated": False})
