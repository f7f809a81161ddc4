"""How FC 3.0 functions live in the backend's one store, next to FC 2.0 services.

FC 3.0 has no services: a function is top-level, and its versions, aliases, triggers, async and
provision configs hang off the function itself. FC 2.0 keeps versions and aliases on the service.
So each FC 3.0 function ``f`` is stored as the single function of its own *storage service*
``fc3~f``: FC 2.0's service versions and aliases are then exactly FC 3.0's function versions and
aliases, and everything that works on ``(service, function)`` pairs — the scheduler, the async
queue, triggers, provisioning, logs, invocation records — serves FC 3.0 functions unchanged.

``~`` cannot appear in an FC 2.0 service name (letters, digits, ``_`` and ``-``), so a storage
service never collides with a user's service, and FC 2.0's ``ListServices`` can leave them out.

FC 2.0 functions through the FC 3.0 API: real FC's FC 3.0 ``ListFunctions`` also lists functions
created with the 2.0 API unless ``fcVersion=v3`` is asked for; how it names them is not documented
(UNCONFIRMED). Here an FC 2.0 function ``fn`` of service ``svc`` is named ``svc$fn`` in the FC 3.0
API (``$`` is not allowed in either version's names, so the form cannot be mistaken for an FC 3.0
function); it can be listed, read and invoked under that name, and is managed through the 2.0 API.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

STORAGE_PREFIX = "fc3~"
FC2_SEPARATOR = "$"


def storage_service(function: str) -> str:
    """The storage service of FC 3.0 function ``function``."""
    return STORAGE_PREFIX + function


def is_storage_service(service: str) -> bool:
    return service.startswith(STORAGE_PREFIX)


def public_name(service: str, function: str) -> str:
    """The name a stored function has in the FC 3.0 API: its own name for an FC 3.0 function,
    ``svc$fn`` for an FC 2.0 one."""
    return function if is_storage_service(service) else f"{service}{FC2_SEPARATOR}{function}"


def display_name(service: str, function: str) -> str:
    """How people see a stored function (CLI, messages): ``fn`` for FC 3.0, ``svc/fn`` for 2.0."""
    return function if is_storage_service(service) else f"{service}/{function}"


@dataclass(frozen=True)
class FunctionRef:
    """A function named in the FC 3.0 API, resolved to its place in the store."""

    name: str  # as the caller wrote it
    service: str  # storage service (FC 3.0) or the FC 2.0 service
    function: str

    @property
    def fc2(self) -> bool:
        return not is_storage_service(self.service)


@functools.lru_cache(maxsize=4096)
def parse_name(name: str) -> FunctionRef:
    """Where an FC 3.0 API function name points (not checking that it exists). Cached: the
    invoke path asks for the same few names all the time."""
    service, sep, function = name.partition(FC2_SEPARATOR)
    if sep and service and function:
        return FunctionRef(name, service, function)
    return FunctionRef(name, storage_service(name), name)
