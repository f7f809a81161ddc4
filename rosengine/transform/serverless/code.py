"""``CodeUri`` -> the ``Code`` property of ``ALIYUN::FC::Function``.

* ``oss://bucket/object`` becomes the OSS pair (``OssBucketName``/``OssObjectName``), read from
  the local object store at create time.
* Anything else is a path relative to the template's directory (a directory, a single file, or a
  ``.zip``/``.jar``/``.war`` archive) and becomes our ``Code.LocalPath`` extension, packaged by the
  FC provider when the function is created, as ``fun package`` packaged it: a directory leaves out
  what Funcraft always left out (``.git``, ``.env``, ``.fun/tmp`` …, plus ``node_modules`` for
  Python and ``.fun/python`` for Node.js) and what the template directory's ``.funignore`` lists
  (gitignore syntax, paths relative to the template's directory); an archive is uploaded as is.

A path that does not exist is a warning here (the code may be built after validation) and an
error naming the function and the path when the stack is created. A path that leaves the
template's directory is an error: a template must not package files from elsewhere on the disk.
"""

from __future__ import annotations

import os
from typing import Any

from rosengine.errors import Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import Expansion

CODE_NOT_FOUND = "CodeUriNotFound"
IGNORE_FILE = ".funignore"
# What `fun package` never put into a package (facts from Funcraft's packager).
ALWAYS_IGNORED = (
    ".git",
    ".svn",
    ".env",
    ".DS_Store",
    "template.packaged.yml",
    ".nas.yml",
    ".fun/nas",
    ".fun/tmp",
    ".fun/package",
)
_RUNTIME_IGNORED = (
    ("nodejs", (".fun/python",)),
    ("python", ("node_modules",)),
    ("php", ("node_modules", ".fun/python")),
)
ARCHIVE_SUFFIXES = (".zip", ".jar", ".war")


def ignored_for(runtime: Any) -> list[str]:
    """Funcraft's ignore list for a runtime (the always-ignored names first)."""
    extra: tuple[str, ...] = ()
    if isinstance(runtime, str):
        extra = next((names for prefix, names in _RUNTIME_IGNORED if runtime.startswith(prefix)), ())
    return [*ALWAYS_IGNORED, *extra]


def code_property(
    ctx: Expansion, code_uri: Any, runtime: Any, where: Path, function: str
) -> dict[str, Any] | None:
    """The ``Code`` of a function whose ``CodeUri`` is at ``where``; None after an error."""
    if function_name(code_uri) is not None or not isinstance(code_uri, str) or not code_uri.strip():
        ctx.error(
            "CodeUri must be written out: 'oss://bucket/object' or a path relative to the template "
            "(a directory, a file, or a .zip/.jar archive)",
            where,
        )
        return None
    if code_uri.startswith("oss://"):
        bucket, _, key = code_uri[len("oss://") :].partition("/")
        if not bucket or not key:
            ctx.error(
                f"CodeUri {code_uri!r} must name a bucket and an object: oss://bucket/path/code.zip", where
            )
            return None
        return {"OssBucketName": bucket, "OssObjectName": key}
    full = ctx.resolve_file(code_uri, where, "CodeUri")
    if full is None:
        return None
    relative = full[len(ctx.base_prefix) :].replace(os.sep, "/") if full.startswith(ctx.base_prefix) else "."
    code: dict[str, Any] = {"LocalPath": relative}
    is_archive = code_uri.lower().endswith(ARCHIVE_SUFFIXES)
    if not os.path.exists(full):
        ctx.warning(
            f"function {function!r}: CodeUri {code_uri!r} ({full}) does not exist; the stack cannot be "
            "created until it does",
            where,
            CODE_NOT_FOUND,
        )
    elif is_archive or not os.path.isdir(full):
        return code
    if not is_archive:
        code["IgnoreFile"] = IGNORE_FILE
        code["IgnorePatterns"] = ignored_for(runtime)
    return code
