"""Code packages with symlinks: refused at upload when a link leaves the package or a path is two
kinds of thing at once; accepted (and unpacked as they are) otherwise.

Reproducers of issue 17: a zip whose symlink pointed outside the package was accepted by
CreateFunction and failed at the first invocation; a file and a symlink of one name gave a 500
that showed a host path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.store.code import CodeError, CodeStore, check_zip
from fcbackend.store_factory import backend_databases, open_metadata_store
from tests.support.code_packages import HANDLER, package


@pytest.mark.parametrize(
    "entries",
    [
        [HANDLER, ("link", "escape", "../../../../etc/shadow")],
        [HANDLER, ("link", "abs", "/etc/passwd")],
        [HANDLER, ("link", "lib/up", "../..")],
        [HANDLER, ("link", "dir/hop", ".."), ("link", "dir/out", "hop/..")],  # via another link
        [HANDLER, ("link", "a", "b/../.."), ("dir", "b", "")],
        [HANDLER, ("link", "sub", "x/y"), ("link", "x/y", "../../.."), ("dir", "x", "")],
        [HANDLER, ("link", "via", "to_abs/z"), ("link", "to_abs", "/usr")],
    ],
    ids=["dotdot", "absolute", "dotdot-dir", "through-link", "lexical", "nested-link", "via-absolute"],
)
def test_symlinks_leaving_the_package_are_refused(entries):
    with pytest.raises(CodeError, match="outside the package"):
        check_zip(package(*entries))


def test_symlink_loop_is_refused():
    with pytest.raises(CodeError, match="loops"):
        check_zip(package(HANDLER, ("link", "a", "b"), ("link", "b", "a")))


@pytest.mark.parametrize(
    "entries",
    [
        [("file", "same", "data"), ("link", "same", "index.py"), HANDLER],
        [("link", "same", "index.py"), ("file", "same", "data"), HANDLER],
        [("link", "same", "index.py"), ("link", "same", "index.py"), HANDLER],
        [("file", "lib", "data"), ("file", "lib/mod.py", "x = 1"), HANDLER],
        [("link", "lib", "."), ("file", "lib/mod.py", "x = 1"), HANDLER],
        [("dir", "lib", ""), ("link", "lib", "."), HANDLER],
    ],
    ids=["file-then-link", "link-then-file", "link-twice", "below-a-file", "below-a-link", "dir-and-link"],
)
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_one_path_as_two_kinds_is_refused(entries):
    with pytest.raises(CodeError, match="only one of a file, a directory or a symlink"):
        check_zip(package(*entries))


def test_links_inside_the_package_are_kept(tmp_path: Path):
    data = package(
        HANDLER,
        ("file", "lib/v1/mod.py", "VALUE = 1\n"),
        ("link", "lib/current", "v1"),
        ("link", "mod.py", "lib/current/mod.py"),
        ("link", "self", "."),
        ("link", "lib/v1/back", "../../index.py"),
        ("link", "dangling", "not-there"),
    )
    check_zip(data)
    store = CodeStore(tmp_path, open_metadata_store(backend_databases(BackendConfig(state_dir=tmp_path))))
    tree = store.unpacked(store.put(data).sha256)
    assert (tree / "mod.py").read_text() == "VALUE = 1\n"
    assert os.readlink(tree / "lib" / "current") == "v1"
    assert (tree / "lib" / "v1" / "back").read_text().startswith("def handler")


def test_refused_package_is_not_stored(tmp_path: Path):
    store = CodeStore(tmp_path, open_metadata_store(backend_databases(BackendConfig(state_dir=tmp_path))))
    with pytest.raises(CodeError):
        store.put(package(HANDLER, ("link", "escape", "../outside")))
    assert not list((tmp_path / "code").iterdir())
