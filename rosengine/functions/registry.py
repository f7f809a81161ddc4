"""Registry of intrinsic functions: long name / alias / YAML tag -> :class:`IntrinsicFunction`.

Each function module under ``rosengine/functions/`` calls :func:`register` at import time;
:func:`load_all` imports every module of the package once, so adding a function is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

from rosengine.functions.base import IntrinsicFunction

_BY_NAME: dict[str, IntrinsicFunction] = {}
_BY_TAG: dict[str, IntrinsicFunction] = {}
_loaded = False
_SKIP = {"base", "registry", "jq_runner"}  # jq_runner: the process Fn::Jq runs jq in


def register(fn: IntrinsicFunction) -> IntrinsicFunction:
    for name in (fn.name, *fn.aliases):
        _BY_NAME[name] = fn
    _BY_TAG[fn.tag] = fn
    return fn


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    import rosengine.functions as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in _SKIP and not info.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    _loaded = True


def get(name: str) -> IntrinsicFunction | None:
    """Look up by long name (``Fn::Join``, ``Ref``, or an alias like ``Fn::Base64``)."""
    load_all()
    return _BY_NAME.get(name)


def by_tag(tag: str) -> IntrinsicFunction | None:
    """Look up by YAML short tag without ``!`` (``Join``, ``Ref``, ``GetAtt``)."""
    load_all()
    return _BY_TAG.get(tag)


def names() -> list[str]:
    load_all()
    return sorted(_BY_NAME)


def tags() -> list[str]:
    load_all()
    return sorted(_BY_TAG)
