"""Schema of ``state.db`` as an ordered list of migrations.

Why migrations from day one: users keep stacks across upgrades; a new column must never mean
"delete your state dir". Each entry runs once, in order, inside one transaction, and the
``schema_version`` table records how far a database has come. Append new steps; never edit old
ones.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
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


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the latest schema; returns the version reached. The connection
    must be in autocommit mode (``isolation_level=None``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"state.db has schema version {version}, newer than this rosengine knows "
                f"({len(MIGRATIONS)}); upgrade rosengine"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)
