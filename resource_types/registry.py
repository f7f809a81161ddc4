"""Find resource types: schemas from ``resource_types/<family>/*.json``, providers from the
Python modules beside them (any :class:`ResourceProvider` subclass with a ``type_name``).

Tests and plugins may :func:`register` extra types (a recording provider, a failing one).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import threading
from pathlib import Path

from resource_types.base import ResourceProvider, ResourceType, ResourceTypeSchema

_ROOT = Path(__file__).resolve().parent
_lock = threading.Lock()
_schemas: dict[str, ResourceTypeSchema] | None = None
_providers: dict[str, type[ResourceProvider]] | None = None
_extra: dict[str, ResourceType] = {}


def _load_schemas() -> dict[str, ResourceTypeSchema]:
    found: dict[str, ResourceTypeSchema] = {}
    for path in sorted(_ROOT.glob("*/*.json")):
        schema = ResourceTypeSchema.from_file(path)
        found[schema.type_name] = schema
    return found


def _load_providers() -> dict[str, type[ResourceProvider]]:
    found: dict[str, type[ResourceProvider]] = {}
    import resource_types as pkg

    for family in pkgutil.iter_modules(pkg.__path__):
        if not family.ispkg:
            continue
        fam_pkg = importlib.import_module(f"resource_types.{family.name}")
        for mod in pkgutil.iter_modules(fam_pkg.__path__):
            module = importlib.import_module(f"resource_types.{family.name}.{mod.name}")
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(obj, ResourceProvider)
                    and obj is not ResourceProvider
                    and not inspect.isabstract(obj)
                    and getattr(obj, "type_name", None)
                ):
                    found[obj.type_name] = obj
    return found


def _ensure_loaded() -> None:
    global _schemas, _providers
    if _schemas is None:
        with _lock:
            if _schemas is None:
                _providers = _load_providers()
                _schemas = _load_schemas()


def schema(type_name: str) -> ResourceTypeSchema | None:
    if type_name in _extra:
        return _extra[type_name].schema
    _ensure_loaded()
    assert _schemas is not None
    return _schemas.get(type_name)


def get(type_name: str) -> ResourceType | None:
    """The schema and provider for a type, or None when we have no schema for it."""
    if type_name in _extra:
        return _extra[type_name]
    _ensure_loaded()
    assert _schemas is not None and _providers is not None
    sch = _schemas.get(type_name)
    if sch is None:
        return None
    return ResourceType(sch, _providers.get(type_name))


def type_names() -> list[str]:
    _ensure_loaded()
    assert _schemas is not None
    return sorted(set(_schemas) | set(_extra))


def register(resource_type: ResourceType) -> None:
    _extra[resource_type.schema.type_name] = resource_type


def unregister(type_name: str) -> None:
    _extra.pop(type_name, None)
