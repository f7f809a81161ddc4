"""The sandbox command line keeps the bootstraps and interpreters visible when they live under
/tmp or /run (a checkout or virtual environment there), which the sandbox's own tmpfs would hide."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fcbackend.instances import launchers


def test_runtime_directories_under_tmp_are_bound_back_read_only(tmp_path, monkeypatch):
    runtimes = tmp_path / "checkout" / "fcbackend" / "runtimes"
    runtimes.mkdir(parents=True)
    (runtimes / "python_bootstrap.py").write_text("print('hi')\n")
    monkeypatch.setattr(launchers, "PYTHON_BOOTSTRAP", runtimes / "python_bootstrap.py")
    args = launchers._runtime_binds()
    triples = [args[i : i + 3] for i in range(0, len(args), 3)]
    where = str(runtimes.resolve())
    assert ["--ro-bind", where, where] in triples
    assert all(t[0] == "--ro-bind" and t[1] == t[2] and t[1].startswith(("/tmp", "/run")) for t in triples)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_a_script_under_tmp_runs_inside_the_sandbox(tmp_path, monkeypatch):
    script_dir = Path("/tmp") / f"rosengine-launcher-test-{tmp_path.name}"
    script_dir.mkdir(exist_ok=True)
    try:
        script = script_dir / "python_bootstrap.py"
        script.write_text("import sys; print('visible', sys.argv[1])\n")
        monkeypatch.setattr(launchers, "PYTHON_BOOTSTRAP", script)
        binds = launchers._runtime_binds()
        argv = [
            "bwrap",
            "--ro-bind",
            "/",
            "/",
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
        if probe.returncode != 0 and "Operation not permitted" in probe.stderr:
            pytest.skip(f"bubblewrap cannot create namespaces here: {probe.stderr.strip()}")
        assert probe.stdout.strip() == "visible ok", probe.stderr
    finally:
        shutil.rmtree(script_dir, ignore_errors=True)
