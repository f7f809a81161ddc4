"""Database URLs: which database a store lives in.

``sqlite:///ABSOLUTE/PATH`` names an SQLite file (the URL's path, as :func:`urllib.parse.urlsplit`
reads it; ``sqlite:////abs`` is accepted too), ``sqlite://`` or ``sqlite:///:memory:`` a private
in-memory database. A server database is a URL of its own scheme (``postgresql://user@host/db``);
which schemes can be opened is decided by :func:`sqlstore.open_database`, not here, so a new kind
of database only adds an opener.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlstore.errors import DatabaseUrlError

# The environment variable that names the database every store of rosengine and its backend uses
# (``ros stack``, ``ros fc serve``/``start``); unset: SQLite files in the state directory.
DATABASE_URL_VARIABLE = "ROS_DATABASE_URL"

# Alternative spellings users write for the same kind of database.
_SCHEME_ALIASES = {"postgres": "postgresql", "sqlite3": "sqlite"}


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL. ``path`` is the SQLite file (None: in memory, or not SQLite)."""

    scheme: str
    text: str
    path: Path | None = None

    @classmethod
    def parse(cls, text: str) -> DatabaseUrl:
        parts = urlsplit(text.strip())
        scheme = _SCHEME_ALIASES.get(parts.scheme.lower(), parts.scheme.lower())
        if not scheme or "://" not in text:
            raise DatabaseUrlError(
                f"database URL {redact(text)!r} has no scheme: expected e.g. sqlite:///path/to/file.db"
            )
        if scheme != "sqlite":
            return cls(scheme, text.strip())
        if parts.netloc:
            raise DatabaseUrlError(
                f"database URL {text!r}: an SQLite URL names a file, not a host "
                f"(expected sqlite:///absolute/path.db)"
            )
        if parts.query or parts.fragment:
            raise DatabaseUrlError(f"database URL {text!r}: SQLite URLs take no query or fragment")
        path = parts.path
        if path in ("", "/", "/:memory:"):
            return cls.memory()
        return cls.sqlite(Path("/" + path.lstrip("/")))

    @classmethod
    def sqlite(cls, path: Path | str) -> DatabaseUrl:
        resolved = Path(path).absolute()
        return cls("sqlite", f"sqlite://{resolved}", resolved)

    @classmethod
    def memory(cls) -> DatabaseUrl:
        return cls("sqlite", "sqlite:///:memory:", None)

    def __str__(self) -> str:
        return redact(self.text)


def redact(text: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
