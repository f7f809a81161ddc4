"""No tracked file keeps a merge's conflict markers (one once sat in the README's commands)."""

from __future__ import annotations

import re
import subprocess

from tests.support.paths import REPO

MARKER = re.compile(r"^(<<<<<<< |>>>>>>> )", re.MULTILINE)


def test_no_tracked_file_has_conflict_markers() -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    found = []
    for name in listed.stdout.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary (databases, archives)
        if MARKER.search(data.decode("utf-8", "replace")):
            found.append(name)
    assert found == []
