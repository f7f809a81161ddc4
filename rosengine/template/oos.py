"""Where ``ALIYUN::OOS::Parameter::Value`` / ``SecretParameter::Value`` parameters get their values.

In the cloud these name entries of the OOS Parameter Store. Locally the store is pluggable: pass
any object with ``get_parameter(name, secret=...)`` to ``prepare(oos_store=...)``. The default
reads ``<state dir>/oos-parameters.json``, a JSON object mapping parameter name -> value, e.g.
``{"my_image": "m-123", "my_password": "s3cret"}``. Secret parameters are looked up under
``"SecretParameters"`` first when that key holds an object, then at the top level, so one file can
hold both kinds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from backend_contract import local_environment

FILE_NAME = "oos-parameters.json"


class OosResolutionError(Exception):
    """The named OOS parameter cannot be found; the message says where we looked."""


class OosParameterStore(Protocol):
    def get_parameter(self, name: str, *, secret: bool) -> Any: ...


class JsonFileOosStore:
    """The default store: a JSON file read on each lookup (small, and edits apply at once)."""

    def __init__(self, path: Path | None = None):
        self.path = path if path is not None else local_environment.state_dir() / FILE_NAME

    def get_parameter(self, name: str, *, secret: bool) -> Any:
        kind = "secret parameter" if secret else "parameter"
        hint = f'add it to {self.path} as {{"{name}": "<value>"}}'
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OosResolutionError(
                f"OOS {kind} {name!r} not found: {self.path} does not exist; {hint}"
            ) from None
        except (OSError, ValueError) as exc:
            raise OosResolutionError(f"cannot read OOS parameters from {self.path}: {exc}") from None
        if not isinstance(data, dict):
            raise OosResolutionError(f"{self.path} must hold a JSON object of name -> value")
        scopes = [data.get("SecretParameters"), data] if secret else [data.get("Parameters"), data]
        for scope in scopes:
            if isinstance(scope, dict) and name in scope:
                return scope[name]
        raise OosResolutionError(f"OOS {kind} {name!r} not found in {self.path}; {hint}")


class DictOosStore:
    """An in-memory store (tests, embedding): ``DictOosStore({"name": "value"})``."""

    def __init__(self, values: dict[str, Any], secrets: dict[str, Any] | None = None):
        self.values = values
        self.secrets = secrets if secrets is not None else values

    def get_parameter(self, name: str, *, secret: bool) -> Any:
        scope = self.secrets if secret else self.values
        if name not in scope:
            raise OosResolutionError(
                f"OOS {'secret parameter' if secret else 'parameter'} {name!r} not found"
            )
        return scope[name]
