"""Positions of an expanded template, taken from the file the user wrote.

Why a translating map rather than a copied one: every node the expansion generates comes from
one node of the original (a function's ``Code`` from its ``CodeUri``, a generated role from the
service's ``Policies``). The expansion records, per generated path prefix, the original path it
came from; an error found later anywhere under that prefix is reported at the original node and
under the original path, so ``ros validate`` and ``ros stack create`` point at the line the user
must change. Nothing is computed until an error is actually located.
"""

from __future__ import annotations

from rosengine.errors import Path
from rosengine.template.sourcemap import Position, SourceMap


class Origins:
    """Generated path prefix -> (original path, whether the rest of the path carries over).

    ``keep_rest`` is true where the generated subtree mirrors the original one (a property
    copied as written): ``…Properties.EnvironmentVariables.X`` then maps to the same key under
    the original. It is false for synthesised nodes (``Code`` made from ``CodeUri``), whose
    inner keys do not exist in the original."""

    __slots__ = ("_table",)

    def __init__(self) -> None:
        self._table: dict[Path, tuple[Path, bool]] = {}

    def add(self, generated: Path, original: Path, *, keep_rest: bool = True) -> None:
        self._table.setdefault(generated, (original, keep_rest))

    def original_path(self, path: Path) -> Path:
        table = self._table
        for end in range(len(path), 0, -1):
            found = table.get(path[:end])
            if found is not None:
                original, keep_rest = found
                return original + path[end:] if keep_rest else original
        return path

    def __len__(self) -> int:
        return len(self._table)


class TranslatedSourceMap(SourceMap):
    """A :class:`SourceMap` of the expanded template that answers from the original one."""

    __slots__ = ("_original", "_origins")

    def __init__(self, original: SourceMap, origins: Origins):
        super().__init__({})
        self._original = original
        self._origins = origins

    def original_path(self, path: Path) -> Path:
        return self._origins.original_path(tuple(path))

    def get(self, path: Path) -> Position | None:
        return self._original.get(self.original_path(path))

    def locate(self, path: Path) -> Position | None:
        return self._original.locate(self.original_path(path))

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.original_path(path) in self._original

    def __len__(self) -> int:
        return len(self._original)
