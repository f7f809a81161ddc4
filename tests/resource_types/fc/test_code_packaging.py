"""``Code.LocalPath`` packaging: directories (with Funcraft's ignore rules and .funignore), single
files, archives as they are, and a clear error for a path that does not exist."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from resource_types.base import ProviderError
from resource_types.fc.fc_api import code_to_api
from rosengine.transform.serverless.code import ignored_for


def _names(code: dict, template_dir: Path) -> dict[str, int]:
    data = code_to_api(code, "python3", SimpleNamespace(template_dir=str(template_dir)))
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(data["zipFile"]))) as zf:
        return {info.filename: info.external_attr >> 16 for info in zf.infolist()}


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_directory_honours_funignore_and_funcraft_defaults(tmp_path: Path):
    _tree(
        tmp_path,
        {
            ".funignore": "# comment\n*.log\ncode/tests/\n!code/keep.log\n",
            "code/index.py": "x",
            "code/lib/util.py": "x",
            "code/debug.log": "x",
            "code/keep.log": "x",
            "code/tests/test_a.py": "x",
            "code/.git/HEAD": "x",
            "code/.env": "SECRET=1",
            "code/node_modules/m/index.js": "x",
            "code/bootstrap": "#!/bin/sh\n",
        },
    )
    code = {"LocalPath": "code", "IgnoreFile": ".funignore", "IgnorePatterns": ignored_for("python3")}
    names = _names(code, tmp_path)
    assert set(names) == {"index.py", "lib/util.py", "keep.log", "bootstrap"}
    assert names["bootstrap"] & 0o111  # made executable, as Funcraft did


def test_patterns_with_a_slash_are_anchored_at_the_template_directory(tmp_path: Path):
    """As in Funcraft (and git): ``.fun/tmp`` is the template directory's, ``.git`` any."""
    _tree(tmp_path, {"index.py": "x", ".fun/tmp/t": "x", "sub/.fun/tmp/t": "x", "sub/.git/HEAD": "x"})
    code = {"LocalPath": ".", "IgnorePatterns": ignored_for("nodejs12")}
    assert set(_names(code, tmp_path)) == {"index.py", "sub/.fun/tmp/t"}


def test_without_ignore_keys_a_directory_is_packaged_whole(tmp_path: Path):
    _tree(tmp_path, {"code/a.py": "x", "code/.env": "x", ".funignore": "*.py\n"})
    assert set(_names({"LocalPath": "code"}, tmp_path)) == {"a.py", ".env"}


def test_single_file_and_archives(tmp_path: Path):
    _tree(tmp_path, {"handler.js": "exports.handler = () => 1"})
    (tmp_path / "handler.js").chmod(0o640)
    assert _names({"LocalPath": "handler.js"}, tmp_path) == {"handler.js": 0o640}
    jar = tmp_path / "app.jar"
    with zipfile.ZipFile(jar, "w") as zf:
        zf.writestr("example/App.class", b"\xca\xfe")
    data = code_to_api({"LocalPath": "app.jar"}, "java8", SimpleNamespace(template_dir=str(tmp_path)))
    assert base64.b64decode(data["zipFile"]) == jar.read_bytes()


def test_missing_path_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ProviderError) as caught:
        code_to_api({"LocalPath": "build"}, "python3", SimpleNamespace(template_dir=str(tmp_path)))
    assert caught.value.message == f"Code.LocalPath {tmp_path / 'build'} does not exist"
