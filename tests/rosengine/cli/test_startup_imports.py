"""Every ``ros`` command imports only what it needs: the structure that keeps start-up fast (the
figures are in benchmarks/bench_cli.py, never in a test).

Each case runs the command in a fresh interpreter and reports the modules it loaded (``sys.modules``
sees modules imported through ``importlib`` too, which ``-X importtime`` does not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from rosengine import cli as ros_cli
from rosengine.cli import _ROOT_COMMANDS, _commands_of

REPO = Path(__file__).resolve().parents[3]
LOTTERY = REPO / "templates" / "lottery.json"

# Run `ros ARGS` in this interpreter, then print every loaded module name as JSON on stderr.
_RUN_AND_LIST_MODULES = """
import json, sys
from rosengine.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""

# What no command that does not talk to the backend needs, nor a JSON report.
_BACKEND_AND_CLIENTS = ("fcbackend", "uvicorn", "starlette", "httpx", "httpcore", "asyncio")
_HEAVY_FOR_VALIDATE = (
    *_BACKEND_AND_CLIENTS,
    "rich",
    "jsonschema",
    "networkx",
    "yaml",
    "jmespath",
    "pathspec",
    "importlib.metadata",
    "rosengine.engine",
    "rosengine.state",
    "rosengine.clients",
    "rosengine.helper_process",
    "rosengine.functions.jq_runner",
)


def _run(args: list[str], home: Path) -> tuple[set[str], str]:
    """The modules ``ros ARGS`` loaded, and what it printed."""
    env = {**os.environ, "ROS_HOME": str(home)}
    env.pop("ROS_FC_ENDPOINT", None)
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    marker = done.stderr.rpartition("\nMODULES ")[2]
    assert marker.strip().startswith("["), done.stderr
    return set(json.loads(marker)), done.stdout


def _loaded(args: list[str], home: Path) -> set[str]:
    return _run(args, home)[0]


def _offending(loaded: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden))


def _providers(loaded: set[str]) -> list[str]:
    """Provider modules: resource_types.<family>.<module>, not the registry or the base classes."""
    return sorted(m for m in loaded if m.startswith("resource_types.") and m.count(".") >= 2)


def test_the_command_table_lists_every_command_with_its_summary() -> None:
    for name, family in _ROOT_COMMANDS.items():
        commands = {command.name: command for command in _commands_of(family.module)}
        assert name in commands, f"{family.module} defines no command {name!r}"
        listed = click.Command(name, help=family.summary)
        for limit in (45, 80, 10_000):  # what `ros --help` shows at any terminal width
            assert listed.get_short_help_str(limit) == commands[name].get_short_help_str(limit), name


def test_help_lists_the_commands_without_importing_them(tmp_path: Path) -> None:
    loaded = _loaded(["--help"], tmp_path)
    assert not [m for m in loaded if m.startswith("rosengine.cli.")], "a command module was imported"
    assert sorted(_ROOT_COMMANDS) == ros_cli.cli.list_commands(click.Context(ros_cli.cli))


def test_validate_imports_no_engine_backend_client_or_renderer(tmp_path: Path) -> None:
    loaded = _loaded(["validate", str(LOTTERY), "--format", "json"], tmp_path)
    assert "rosengine.validate" in loaded
    assert _offending(loaded, _HEAVY_FOR_VALIDATE) == []
    assert _providers(loaded) == []
    assert not [m for m in loaded if m.startswith("rosengine.cli.") and m != "rosengine.cli.validate_cmd"]


def test_a_valid_template_is_checked_without_jsonschema_and_an_invalid_one_explained(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    template = json.loads(LOTTERY.read_text(encoding="utf-8"))
    template["Resources"]["Function"]["Properties"]["MemorySize"] = "lots"
    broken.write_text(json.dumps(template), encoding="utf-8")
    loaded = _loaded(["validate", str(broken), "--format", "json"], tmp_path)
    assert "jsonschema" in loaded  # the failure is explained by jsonschema, loaded for it


def test_a_stack_command_imports_no_backend_server_validator_extras_or_providers(tmp_path: Path) -> None:
    loaded = _loaded(["stack", "list", "-o", "json"], tmp_path)
    assert "rosengine.engine" in loaded
    heavy = ("fcbackend", "uvicorn", "starlette", "jsonschema", "networkx", "yaml", "jmespath", "pathspec")
    assert _offending(loaded, (*heavy, "httpx", "rich")) == []  # no client, and JSON needs no rich
    assert _providers(loaded) == []


def test_stack_create_finds_a_running_backend_without_its_server_code(tmp_path: Path) -> None:
    env = {**os.environ, "ROS_HOME": str(tmp_path)}
    env.pop("ROS_FC_ENDPOINT", None)
    ros = [sys.executable, "-c", "from rosengine.cli import main; main()"]
    started = subprocess.run(
        [*ros, "fc", "start", "--driver", "process"], env=env, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, started.stderr
    try:
        loaded, printed = _run(
            ["stack", "create", "-t", str(LOTTERY), "-n", "lottery", "-o", "json"], tmp_path
        )
        assert json.loads(printed)["Status"] == "CREATE_COMPLETE", printed
        heavy = ("fcbackend.server", "fcbackend.twins", "uvicorn", "starlette", "jsonschema", "networkx")
        assert _offending(loaded, (*heavy, "yaml", "jmespath", "pathspec")) == []
        assert {m.rsplit(".", 1)[0] for m in _providers(loaded)} == {"resource_types.fc"}
    finally:
        subprocess.run([*ros, "fc", "stop"], env=env, capture_output=True, text=True, timeout=60)
