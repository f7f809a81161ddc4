"""Built-in runtimes: which bootstrap serves a runtime name, and the environment FC gives it.

Why here: the sandbox and process drivers start the same two bootstrap programs
(``python_bootstrap.py``, ``node_bootstrap.js``) for every runtime; what differs per runtime is the
bootstrap's *mode* and the environment/search paths of docs/reference/fc-runtime.md#environment-variables,
#layers-and-the-file-system. Keeping that table in one place means the drivers never special-case runtime
names.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fcbackend.instances.driver import InstanceStartError
from fcbackend.instances.fc_contract import platform_environment
from fcbackend.models import FunctionSpec

RUNTIME_DIR = Path(__file__).resolve().parent
PYTHON_BOOTSTRAP = RUNTIME_DIR / "python_bootstrap.py"
NODE_BOOTSTRAP = RUNTIME_DIR / "node_bootstrap.js"

PYTHON_RUNTIMES = ("python3", "python3.6", "python3.9", "python3.10", "python3.12")
SUPPORTED = "python2.7, python3, python3.9, python3.10, python3.12, nodejs*, custom, custom.debian10/11/12"


@dataclass(frozen=True)
class RuntimeInfo:
    name: str
    bootstrap: str  # "python" or "node": which program runs in the instance
    mode: str  # the bootstrap's mode: python | python2 | node | custom
    listens_on_tcp: bool  # custom runtimes: the user's server listens on CAPort in its own netns


def runtime_info(runtime: str) -> RuntimeInfo:
    """Map an FC runtime name to how we run it; unknown names get a clear start error."""
    name = runtime.strip()
    if name == "python2.7":
        return RuntimeInfo(name, "python", "python2", False)
    if name in PYTHON_RUNTIMES or (name.startswith("python3.") and name[8:].isdigit()):
        return RuntimeInfo(name, "python", "python", False)
    if name.startswith("nodejs"):
        return RuntimeInfo(name, "node", "node", False)
    if name == "custom" or name.startswith("custom.debian"):
        return RuntimeInfo(name, "python", "custom", True)
    raise InstanceStartError(
        f"runtime {runtime!r} is not supported by the local FC backend (supported here: {SUPPORTED}; "
        "custom-container runs on the docker driver)",
        "InvalidArgument",
    )


@lru_cache(maxsize=1)
def python_executable() -> str:
    """The real interpreter (not a pyenv shim), so it also resolves inside sandboxes."""
    return os.path.realpath(sys.executable)


@lru_cache(maxsize=1)
def node_executable() -> str | None:
    found = shutil.which("node")
    return os.path.realpath(found) if found else None


def instance_environment(
    spec: FunctionSpec, instance_id: str, *, code_dir: str, opt_dirs: list[str], tmp_dir: str = "/tmp"
) -> dict[str, str]:
    """The variables of docs/reference/fc-runtime.md#environment-variables plus the function's own (the
    function's may not override FC_*)."""
    info = runtime_info(spec.runtime)
    exe_dir = os.path.dirname(python_executable())
    node = node_executable()
    path_parts = [code_dir, os.path.join(code_dir, "bin")]
    path_parts += [os.path.join(opt, "bin") for opt in opt_dirs]
    path_parts += [exe_dir] + ([os.path.dirname(node)] if node else [])
    path_parts += ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    lib_parts = [code_dir, os.path.join(code_dir, "lib"), "/usr/local/lib"]
    lib_parts += [os.path.join(opt, "lib") for opt in opt_dirs]
    env: dict[str, str] = {
        "PATH": ":".join(dict.fromkeys(path_parts)),
        "LD_LIBRARY_PATH": ":".join(lib_parts),
        "HOME": tmp_dir,
        "TMPDIR": tmp_dir,
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: v for k, v in spec.environment})
    if info.bootstrap == "node":
        node_paths = [os.path.join(opt, "nodejs", "node_modules") for opt in opt_dirs]
        if env.get("NODE_PATH"):
            node_paths.insert(0, env["NODE_PATH"])
        env["NODE_PATH"] = ":".join(node_paths)
    env.update(platform_environment(spec, instance_id, code_dir))
    return env


def specialisation(
    spec: FunctionSpec, instance_id: str, *, code_dir: str, opt_dirs: list[str], start_timeout_s: float = 120
) -> dict:
    """The JSON a generic bootstrap receives to become an instance of ``spec``."""
    info = runtime_info(spec.runtime)
    return {
        "runtime": spec.runtime,
        "mode": info.mode,
        "code_dir": code_dir,
        "opt_dirs": opt_dirs,
        "handler": spec.handler,
        "initializer": spec.initializer or "",
        "pre_stop": spec.pre_stop_handler or "",
        "pre_freeze": spec.pre_freeze_handler or "",
        "env": instance_environment(spec, instance_id, code_dir=code_dir, opt_dirs=opt_dirs),
        "command": list(spec.custom_command),
        "ca_port": spec.ca_port,
        "start_timeout": start_timeout_s,
        "region": spec.region,
        "account_id": spec.account_id,
        "function": {
            "name": spec.function,
            "handler": spec.handler,
            "memory": spec.memory_mb,
            "timeout": spec.timeout_s,
            "initializer": spec.initializer or "",
            "initialization_timeout": spec.initialization_timeout_s,
        },
        "service": {
            "name": spec.service,
            "log_project": spec.log_project,
            "log_store": spec.log_store,
            "qualifier": spec.qualifier or "LATEST",
            "version_id": spec.version_id,
        },
    }
