"""Where each node of a loaded template came from.

Why a side table and not annotated nodes: the template data must stay plain ``dict``/``list``/
scalars so functions, schema validation and the engine can use it without unwrapping anything.
Positions are kept here, keyed by the node's path tuple (``("Resources", "Fn", "Properties")``).
A mapping entry is recorded at the position of its *key* (that is what a user looks for), a list
item at the position of the item.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from rosengine.errors import Path

Position = tuple[int, int]  # 1-based line and column


class SourceMap:
    """Path tuple -> (line, column); :meth:`locate` falls back to the nearest located ancestor,
    so a path produced later (after Count expansion, inside a function's arguments) still lands
    on a useful line."""

    __slots__ = ("_positions", "_compute")

    def __init__(
        self,
        positions: dict[Path, Position] | None = None,
        *,
        compute: Callable[[], dict[Path, Position]] | None = None,
    ):
        """``compute`` builds the table on first use: valid JSON templates never pay for
        positions they do not need (the JSON position scan is ~20x slower than ``json.loads``)."""
        self._positions: dict[Path, Position] | None = positions
        self._compute = compute
        if positions is None and compute is None:
            self._positions = {}

    @property
    def positions(self) -> dict[Path, Position]:
        if self._positions is None:
            assert self._compute is not None
            try:
                self._positions = self._compute()
            except Exception:  # the text parsed once already; never fail while reporting
                self._positions = {}
            self._compute = None
        return self._positions

    def add(self, path: Path, line: int, col: int) -> None:
        self.positions.setdefault(tuple(path), (line, col))

    def get(self, path: Path) -> Position | None:
        """The exact position of ``path``, or None when that node was not recorded."""
        return self.positions.get(tuple(path))

    def original_path(self, path: Path) -> Path:
        """The path as the user wrote it (differs only in a map of an expanded template)."""
        return tuple(path)

    def locate(self, path: Path) -> Position | None:
        """Position of ``path`` or of its closest recorded ancestor (None for an empty map)."""
        path = tuple(path)
        positions = self.positions
        for end in range(len(path), -1, -1):
            found = positions.get(path[:end])
            if found is not None:
                return found
        return None

    def __len__(self) -> int:
        return len(self.positions)

    def __contains__(self, path: object) -> bool:
        return path in self.positions


class LineIndex:
    """Turns character offsets into (line, column) with one binary search each; built once per
    text so the JSON parser can record cheap integer offsets while it scans."""

    __slots__ = ("_starts",)

    def __init__(self, text: str):
        starts = [0]
        find = text.find
        index = find("\n")
        while index != -1:
            starts.append(index + 1)
            index = find("\n", index + 1)
        self._starts = starts

    def position(self, offset: int) -> Position:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1
