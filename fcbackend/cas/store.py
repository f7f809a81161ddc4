"""Where the CAS twin keeps its certificates: by numeric id, as uploaded.

Why a Protocol with an implementation on the shared database layer (``cas.db`` by default, opened
by ``fcbackend.store_factory``): the service must not care where rows live, and a certificate
uploaded once must still be there after the backend restarts (templates name it by id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "cas",
    (
        Migration(
            1,
            "certificates",
            """
            CREATE TABLE IF NOT EXISTS certificates (
                id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, cert TEXT NOT NULL,
                private_key TEXT NOT NULL, created REAL NOT NULL);
            """,
        ),
    ),
)


@dataclass(frozen=True)
class CertificateRecord:
    cert_id: int
    name: str
    cert: str  # PEM, as uploaded (the leaf first, then its chain)
    private_key: str  # PEM
    created: float  # epoch seconds


class CasStore(Protocol):
    def add(self, name: str, cert: str, private_key: str, created: float) -> CertificateRecord:
        """A new certificate with the next id; ``ValueError`` when ``name`` is taken."""
        ...

    def get(self, cert_id: int) -> CertificateRecord | None: ...

    def all(self) -> list[CertificateRecord]:
        """Every certificate, oldest first."""
        ...

    def delete(self, cert_id: int) -> bool: ...

    def close(self) -> None: ...


class SqliteCasStore:
    """:class:`CasStore` on a database of :mod:`sqlstore`; thread-safe (its sessions serialise)."""

    # The cloud's certificate ids are 7- to 8-digit numbers (the API reference's example: 6055048);
    # local ones start at a round number of that size.
    FIRST_ID = 10_000_001

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)

    def close(self) -> None:
        self.database.close()

    def add(self, name: str, cert: str, private_key: str, created: float) -> CertificateRecord:
        with self.database.transaction() as session:
            taken = session.execute("SELECT 1 FROM certificates WHERE name = ?", (name,)).fetchone()
            if taken:
                raise ValueError(f"a certificate named {name!r} exists already")
            row = session.execute("SELECT MAX(id) FROM certificates").fetchone()
            cert_id = max(int(row[0] or 0) + 1, self.FIRST_ID)
            session.execute(
                "INSERT INTO certificates (id, name, cert, private_key, created) VALUES (?, ?, ?, ?, ?)",
                (cert_id, name, cert, private_key, created),
            )
        return CertificateRecord(cert_id, name, cert, private_key, created)

    def get(self, cert_id: int) -> CertificateRecord | None:
        with self.database.reading() as session:
            row = session.execute(
                "SELECT name, cert, private_key, created FROM certificates WHERE id = ?", (cert_id,)
            ).fetchone()
        return CertificateRecord(cert_id, row[0], row[1], row[2], row[3]) if row else None

    def all(self) -> list[CertificateRecord]:
        with self.database.reading() as session:
            rows = session.execute(
                "SELECT id, name, cert, private_key, created FROM certificates ORDER BY id"
            ).fetchall()
        return [CertificateRecord(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def delete(self, cert_id: int) -> bool:
        with self.database.transaction() as session:
            gone = session.execute("DELETE FROM certificates WHERE id = ?", (cert_id,))
            return bool(gone.rowcount)
