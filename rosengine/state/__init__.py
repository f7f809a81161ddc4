"""Stack state: stacks, resources, events, outputs and change sets (:class:`StateStore`).

``open_store()`` opens ``<state dir>/state.db`` (state dir = ``$ROS_HOME`` or ``~/.rosengine``),
the database ``$ROS_DATABASE_URL`` names, or the database a URL names (``sqlite:///...``,
``postgresql://...``: stacks shared by every ``ros`` that names it).
"""

from __future__ import annotations

import os
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
from sqlstore import DATABASE_URL_VARIABLE, DatabaseUrl, open_database


def open_store(location: Path | str | None = None) -> StateStore:
    """The stack state store at ``location``: a database URL (``sqlite:///path/state.db``), the
    path of an SQLite file, or by default ``<state dir>/state.db``. The implementation follows
    from the kind of database."""
    if location is None:
        location = os.environ.get(DATABASE_URL_VARIABLE) or None
    if location is None:
        from rosengine.local_environment import state_dir

        location = state_dir() / "state.db"
    if isinstance(location, str) and "://" in location:
        url = DatabaseUrl.parse(location)
    else:
        url = DatabaseUrl.sqlite(location)
    # Several ros processes may hold the file at once: wait for a writer rather than fail.
    database = open_database(url, busy_timeout_s=30.0)
    return SqliteStateStore(database)


__all__ = [
    "MASK",
    "ROLE_CURRENT",
    "ROLE_REPLACED",
    "DATABASE_URL_VARIABLE",
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
