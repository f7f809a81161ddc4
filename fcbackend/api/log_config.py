"""Whether a function's ``logConfig`` can be used: the check FC 2.0 services and FC 3.0 functions
share on create and update.

The SLS twin answers whether the project and logstore exist (``BackendState.log_config_check``,
wired by :mod:`fcbackend.twins`); without it only the shape is checked.
"""

from __future__ import annotations

from typing import Any

from fcbackend.api.errors import invalid
from fcbackend.api.state import BackendState


def check_log_config(state: BackendState, log_config: dict[str, Any] | None) -> None:
    """A ``logConfig`` names both a project and a logstore or neither, and (with an SLS twin)
    ones that exist: INFERRED from FC, which refuses a missing logstore (docs/sls.md)."""
    if not log_config:
        return
    project = str(log_config.get("project") or "")
    logstore = str(log_config.get("logstore") or "")
    if bool(project) != bool(logstore):
        raise invalid("logConfig needs both project and logstore, or neither")
    if project and state.log_config_check is not None:
        problem = state.log_config_check(project, logstore)
        if problem is not None:
            raise invalid(problem)
