"""Find resource types: schemas through ``resource_types/index.json``, providers from the Python
modules of the family packages (any :class:`ResourceProvider` subclass with a ``type_name``).

Why an index: there are more than a thousand schemas (generated from the ROS CDK, see
:mod:`resource_types.cdkgen`), and ``ros validate`` of a template with three types must not read
them all. The index maps each type name to its file; a schema is read the first time it is asked
for. Providers are imported only by :func:`get` and :func:`provider_types` (the stack engine), never
by :func:`schema` (the validator).

Tests and plugins may :func:`register` extra types (a recording provider, a failing one).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
from pathlib import Path

from resource_types.base import ResourceProvider, ResourceType, ResourceTypeSchema

_ROOT = Path(__file__).resolve().parent
_INDEX = _ROOT / "index.json"
_NOT_FAMILIES = frozenset({"cdkgen"})  # the schema generator, not a family of types
_lock = threading.Lock()
_index: dict[str, str] | None = None
_schemas: dict[str, ResourceTypeSchema] = {}
_providers: dict[str, type[ResourceProvider]] | None = None
_extra: dict[str, ResourceType] = {}


def _type_index() -> dict[str, str]:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = dict(json.loads(_INDEX.read_text(encoding="utf-8"))["types"])
    return _index


def _load_providers() -> dict[str, type[ResourceProvider]]:
    found: dict[str, type[ResourceProvider]] = {}
    import resource_types as pkg

    for family in pkgutil.iter_modules(pkg.__path__):
        if not family.ispkg or family.name in _NOT_FAMILIES:
            continue
        fam_pkg = importlib.import_module(f"resource_types.{family.name}")
        for mod in pkgutil.iter_modules(fam_pkg.__path__):
            module = importlib.import_module(f"resource_types.{family.name}.{mod.name}")
            # A module may also serve many types with one generic provider (records): it names
            # them in a PROVIDERS table of type name -> provider class.
            found.update(getattr(module, "PROVIDERS", {}))
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(obj, ResourceProvider)
                    and obj is not ResourceProvider
                    and not inspect.isabstract(obj)
                    and isinstance(getattr(obj, "type_name", None), str)
                ):
                    found[obj.type_name] = obj
    return found


def _provider_table() -> dict[str, type[ResourceProvider]]:
    global _providers
    if _providers is None:
        with _lock:
            if _providers is None:
                _providers = _load_providers()
    return _providers


def schema(type_name: str) -> ResourceTypeSchema | None:
    """The schema of ``type_name``, read on first use; None when the type is unknown."""
    if type_name in _extra:
        return _extra[type_name].schema
    found = _schemas.get(type_name)
    if found is not None:
        return found
    path = _type_index().get(type_name) if isinstance(type_name, str) else None
    if path is None:
        return None
    found = ResourceTypeSchema.from_file(_ROOT / path)
    with _lock:
        return _schemas.setdefault(type_name, found)


def get(type_name: str) -> ResourceType | None:
    """The schema and provider for a type, or None when we have no schema for it."""
    if type_name in _extra:
        return _extra[type_name]
    found = schema(type_name)
    if found is None:
        return None
    return ResourceType(found, _provider_table().get(type_name))


def type_names() -> list[str]:
    """Every known type name, sorted."""
    return sorted(set(_type_index()) | set(_extra))


def provider_types() -> frozenset[str]:
    """The types that can really be created here (they have a provider)."""
    provided = set(_provider_table())
    provided.update(name for name, extra in _extra.items() if extra.provider is not None)
    return frozenset(provided)


def register(resource_type: ResourceType) -> None:
    _extra[resource_type.schema.type_name] = resource_type


def unregister(type_name: str) -> None:
    _extra.pop(type_name, None)
