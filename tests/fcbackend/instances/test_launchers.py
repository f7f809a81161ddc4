"""The sandbox command line keeps the bootstraps and interpreters visible wherever they live
outside the host's system directories (a checkout under /tmp or /root, a Python under ~/.pyenv),
which the sandbox does not show otherwise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fcbackend.instances import launchers
from fcbackend.instances.slots import Slot


def test_runtime_directories_outside_the_system_dirs_are_bound_read_only(tmp_path, monkeypatch):
    runtimes = tmp_path / "checkout" / "fcbackend" / "runtimes"
    runtimes.mkdir(parents=True)
    (runtimes / "python_bootstrap.py").write_text("print('hi')\n")
    monkeypatch.setattr(launchers, "PYTHON_BOOTSTRAP", runtimes / "python_bootstrap.py")
    paths = launchers._runtime_paths()
    assert runtimes.resolve() in paths
    assert all(p.parts[1] not in ("usr", "bin", "lib", "lib64", "sbin") for p in paths)
    args = launchers.BubblewrapLauncher([], home=tmp_path / "home")._runtime_args()
    triples = [args[i : i + 3] for i in range(len(args) - 2) if args[i] == "--ro-bind"]
    assert ["--ro-bind", str(runtimes.resolve()), str(runtimes.resolve())] in triples


@pytest.mark.bwrap
def test_a_script_under_tmp_runs_inside_the_sandbox(tmp_path, monkeypatch):
    script_dir = Path("/tmp") / f"rosengine-launcher-test-{tmp_path.name}"
    script_dir.mkdir(exist_ok=True)
    try:
        script = script_dir / "python_bootstrap.py"
        script.write_text("import sys; print('visible', sys.argv[1])\n")
        monkeypatch.setattr(launchers, "PYTHON_BOOTSTRAP", script)
        binds = launchers.BubblewrapLauncher([], home=tmp_path / "home")._runtime_args()
        argv = [
            "bwrap",
            *launchers._root_binds(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
            *binds,
            "--",
            launchers.python_executable(),
            "-I",
            str(script),
            "ok",
        ]
        probe = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert probe.stdout.strip() == "visible ok", probe.stderr
    finally:
        shutil.rmtree(script_dir, ignore_errors=True)


@pytest.mark.bwrap
def test_the_sandbox_command_keeps_a_bootstrap_under_tmp_visible(tmp_path, monkeypatch):
    """The instance's /tmp (its disk) covers the host's: runtime directories under the host's /tmp
    are bound after it, onto it, or the bootstrap would vanish."""
    script_dir = Path("/tmp") / f"rosengine-launcher-command-{tmp_path.name}"
    script_dir.mkdir(exist_ok=True)
    launcher = launchers.BubblewrapLauncher([], home=tmp_path / "home")
    try:
        script = script_dir / "python_bootstrap.py"
        script.write_text("import sys; print('visible', sys.argv[-1])\n")
        monkeypatch.setattr(launchers, "PYTHON_BOOTSTRAP", script)
        launcher._runtime_paths = launchers._runtime_paths()
        slot = Slot.create(tmp_path / "slot")
        argv = launcher.command(launchers.PoolKey("python", 16, True), slot, 0)
        probe = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert probe.stdout.strip() == "visible 0", probe.stderr
    finally:
        launcher.close()
        shutil.rmtree(script_dir, ignore_errors=True)
