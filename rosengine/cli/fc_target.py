"""How ``ros fc`` commands name functions of either FC version.

``FUNCTION`` is an FC 3.0 function; ``SERVICE/FUNCTION`` an FC 2.0 one. The backend's FC 3.0 API
names an FC 2.0 function ``SERVICE$FUNCTION`` (``api_name``), so the local helper endpoints
under ``/2023-03-30/local/`` answer for both; people see ``name`` (``fn`` or ``svc/fn``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class FunctionTarget:
    service: str | None  # None: an FC 3.0 function
    function: str

    @property
    def fc3(self) -> bool:
        return self.service is None

    @property
    def api_name(self) -> str:
        return self.function if self.service is None else f"{self.service}${self.function}"

    @property
    def name(self) -> str:
        return self.function if self.service is None else f"{self.service}/{self.function}"


def parse_target(value: str, *, extra: int = 0) -> tuple[FunctionTarget, list[str]]:
    """``FUNCTION`` or ``SERVICE/FUNCTION``, followed by ``extra`` more ``/``-separated parts (a
    trigger name...). With extra parts the split is ambiguous only in count, so the count decides:
    ``fn/trigger`` (FC 3.0) vs ``svc/fn/trigger`` (FC 2.0)."""
    parts = value.split("/")
    if any(not p for p in parts) or len(parts) not in (1 + extra, 2 + extra):
        usage = "FUNCTION or SERVICE/FUNCTION" + "".join("/" + "X" for _ in range(extra))
        raise click.BadParameter(f"expected {usage}, got '{value}'")
    if len(parts) == 1 + extra:
        return FunctionTarget(None, parts[0]), parts[1:]
    return FunctionTarget(parts[0], parts[1]), parts[2:]


def fc3_client(echo: Callable[[str], None] | None = None) -> Any:
    """The FC 3.0 client of the backend the FC 2.0 commands use (started on demand)."""
    from rosengine.clients.fc import FcApiError
    from rosengine.clients.fc3 import Fc3Client

    try:
        client = Fc3Client.from_environment(start=True, echo=echo)
    except FcApiError as exc:
        raise click.ClickException(exc.message) from exc
    except Exception as exc:  # the daemon failed to start: say why, no traceback
        raise click.ClickException(str(exc)) from exc
    click.get_current_context().call_on_close(client.close)  # the command's connections end with it
    return client
