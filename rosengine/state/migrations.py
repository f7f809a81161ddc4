"""Schema of the stack state in SQLite, as the numbered migrations of the store ``stack_state``.

Why migrations from day one: users keep stacks across upgrades; a new column must never mean
"delete your state dir". Each step runs once, in order, in one transaction with its record in the
shared migrations ledger (:mod:`sqlstore.migrations`). Append new steps; never edit old ones.
Databases of earlier releases recorded their version in a ``schema_version`` table of their own;
opening one moves that record into the ledger.
"""

from __future__ import annotations

from sqlstore import Database, Migration, Schema, Session

_SCRIPTS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE stacks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        template_body TEXT NOT NULL DEFAULT '',
        template_filename TEXT NOT NULL DEFAULT '',
        parameters TEXT NOT NULL DEFAULT '{}',
        resolved_parameters TEXT NOT NULL DEFAULT '{}',
        no_echo TEXT NOT NULL DEFAULT '[]',
        identity TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        description TEXT NOT NULL DEFAULT '',
        operation TEXT,
        owner_pid INTEGER,
        owner_host TEXT,
        owner_started TEXT,
        heartbeat REAL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX stacks_live_name ON stacks(name) WHERE deleted = 0;
    CREATE TABLE resources (
        stack_id TEXT NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
        logical_id TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'current',
        type TEXT NOT NULL,
        physical_id TEXT,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        properties TEXT NOT NULL DEFAULT '{}',
        attributes TEXT NOT NULL DEFAULT '{}',
        metadata TEXT,
        description TEXT,
        deletion_policy TEXT NOT NULL DEFAULT 'Delete',
        depends_on TEXT NOT NULL DEFAULT '[]',
        previous TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (stack_id, logical_id, role)
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        stack_id TEXT NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
        stack_name TEXT NOT NULL,
        logical_id TEXT NOT NULL,
        physical_id TEXT NOT NULL DEFAULT '',
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        time TEXT NOT NULL
    );
    CREATE INDEX events_stack ON events(stack_id, seq);
    CREATE TABLE outputs (
        stack_id TEXT NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        position INTEGER NOT NULL,
        value TEXT,
        description TEXT NOT NULL DEFAULT '',
        no_echo INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (stack_id, key)
    );
    CREATE TABLE change_sets (
        id TEXT PRIMARY KEY,
        stack_id TEXT NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
        stack_name TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        execution_status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        template_body TEXT NOT NULL DEFAULT '',
        template_filename TEXT NOT NULL DEFAULT '',
        parameters TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        changes TEXT NOT NULL DEFAULT '[]',
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (stack_id, name)
    );
    """,
    # 2: the processed (expanded) template of a stack whose template has a Transform
    """
    ALTER TABLE stacks ADD COLUMN processed_template TEXT NOT NULL DEFAULT ''
    """,
    # 3: nested stacks (ROS ParentStackId/RootStackId); how a resource exists locally when it is not
    # a full twin (a record, a placeholder, a no-op) and whether it is a placeholder
    """
    ALTER TABLE stacks ADD COLUMN parent_stack_id TEXT;
    ALTER TABLE stacks ADD COLUMN root_stack_id TEXT;
    CREATE INDEX stacks_parent ON stacks(parent_stack_id);
    ALTER TABLE resources ADD COLUMN note TEXT NOT NULL DEFAULT '';
    ALTER TABLE resources ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0
    """,
]


def _adopt_schema_version(session: Session) -> int:
    """How far a database of the earlier layout (its own ``schema_version`` table) had come."""
    found = session.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'")
    if not found.fetchall():
        return 0
    version = session.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    session.execute("DROP TABLE schema_version")
    return int(version or 0)


SCHEMA = Schema(
    "stack_state",
    (
        Migration(1, "stacks, resources, events, outputs, change sets", _SCRIPTS[0]),
        Migration(2, "processed template of a stack with a Transform", _SCRIPTS[1]),
        Migration(3, "nested stacks; a resource's local note and placeholder flag", _SCRIPTS[2]),
    ),
    adopt=_adopt_schema_version,
)

# PostgreSQL has no rowid. The store lists resources and change sets in the order they were
# written by ``rowid`` (a rewrite deletes and inserts the row), so on PostgreSQL the tables get a
# column of that name that numbers rows as they are inserted. It is part of the first migration
# there (PostgreSQL databases start at 1 with today's code), so later migrations stay shared.
_POSTGRES_ROW_ORDER = """;
    ALTER TABLE resources ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
    ALTER TABLE change_sets ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
    CREATE INDEX resources_order ON resources(stack_id, rowid)
"""

POSTGRES_SCHEMA = Schema(
    SCHEMA.store,
    (
        Migration(1, SCHEMA.migrations[0].name + "; row order", _SCRIPTS[0] + _POSTGRES_ROW_ORDER),
        *SCHEMA.migrations[1:],
    ),
)


def schema_for(database: Database) -> Schema:
    """The stack state's migrations as the kind of database needs them."""
    return POSTGRES_SCHEMA if database.dialect.name == "postgresql" else SCHEMA
