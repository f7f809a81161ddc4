"""Turn ``ros validate`` arguments (files, directories, glob patterns) into a list of files.

Why the template sniffing: a directory of infrastructure code holds more YAML than templates (CI
configs, Serverless Devs ``s.yaml``, docker-compose files). Files named explicitly are always
checked; files found by walking a directory are checked only when they look like ROS templates
(they mention ``ROSTemplateFormatVersion``). Glob patterns count as explicit.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_SUFFIXES = (".json", ".yml", ".yaml", ".template")
_MARKER = b"ROSTemplateFormatVersion"
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform"}


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # arguments that matched nothing
    # files with a template suffix found by walking a directory but skipped (no marker)
    skipped: list[str] = field(default_factory=list)


def _looks_like_template(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return _MARKER in handle.read(1 << 20)
    except OSError:
        return False


def _walk(directory: Path, skipped: list[str] | None = None) -> list[Path]:
    found = []
    for path in sorted(directory.rglob("*")):
        if any(part in _SKIP_DIRS for part in path.relative_to(directory).parts[:-1]):
            continue
        if path.suffix.lower() in TEMPLATE_SUFFIXES and path.is_file():
            if _looks_like_template(path):
                found.append(path)
            elif skipped is not None:
                skipped.append(str(path))
    return found


def discover(arguments: list[str]) -> Discovery:
    """Expand arguments in order, without duplicates."""
    result = Discovery()
    seen: set[str] = set()

    def add(path: Path) -> None:
        name = str(path)
        if name not in seen:
            seen.add(name)
            result.files.append(name)

    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            in_directory = _walk(path, result.skipped)
            if not in_directory:  # an empty or mistyped directory must not pass CI as "clean"
                result.missing.append(argument)
            for found in in_directory:
                add(found)
        elif path.is_file():
            add(path)
        elif glob.has_magic(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            for directory in (Path(m) for m in matches if Path(m).is_dir()):
                files.extend(_walk(directory, result.skipped))
            if not files:
                result.missing.append(argument)
            for found in files:
                add(found)
        else:
            result.missing.append(argument)
    return result
