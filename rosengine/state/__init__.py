"""Stack state: stacks, resources, events, outputs and change sets, kept in SQLite.

``open_store()`` opens ``<state dir>/state.db`` (state dir = ``$ROS_HOME`` or ``~/.rosengine``).
"""

from __future__ import annotations

from pathlib import Path

from rosengine.state.errors import StackError
from rosengine.state.models import (
    MASK,
    ROLE_CURRENT,
    ROLE_REPLACED,
    ChangeSetRecord,
    EventRecord,
    OutputRecord,
    ResourceRecord,
    StackRecord,
)
from rosengine.state.owner import Owner
from rosengine.state.sqlite import SqliteStateStore, interrupted_message
from rosengine.state.store import StateStore


def open_store(path: Path | str | None = None) -> StateStore:
    """The default store: SQLite at ``path`` or ``<state dir>/state.db``."""
    if path is None:
        from backend_contract.local_environment import state_dir

        path = state_dir() / "state.db"
    return SqliteStateStore(path)


__all__ = [
    "MASK",
    "ROLE_CURRENT",
    "ROLE_REPLACED",
    "ChangeSetRecord",
    "EventRecord",
    "OutputRecord",
    "Owner",
    "ResourceRecord",
    "SqliteStateStore",
    "StackError",
    "StackRecord",
    "StateStore",
    "interrupted_message",
    "open_store",
]
