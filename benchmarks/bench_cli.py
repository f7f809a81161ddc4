"""How long does a ``ros`` command take as a whole process, start-up included?

A user pays the interpreter's start, the imports and the work on every command. Measured here as
whole processes through the venv's installed ``ros`` entry point (not ``python -m``), against a bare
``python -c pass`` of the same interpreter:

1. ``ros validate templates/lottery.json`` (a fresh ROS_HOME per run). Goal: <= 150 ms, <= 5x.
2. ``ros stack create`` of the lottery against a running local backend (``ros fc start`` once,
   before the clock starts; each run creates a stack of its own name, deleted after the run,
   untimed). Goal: <= 300 ms, <= 10x.

The commands run round-robin, so load from other processes on the machine falls on all of them
alike. Bytecode is cached (PYTHONDONTWRITEBYTECODE is dropped for the runs), as in an installed
copy; the warm-up writes it. Prints the median and 90th percentile of each, the ratio of medians
to ``python -c pass``, and then, from one run of each under ``-X importtime``, what the imports
cost: in all, and the top-level packages with the most import time (self time summed over their
modules; modules loaded through ``importlib.import_module`` are not in ``-X importtime``'s log).

Usage: ``.venv/bin/python benchmarks/bench_cli.py [--runs N] [--top K]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOTTERY = REPO / "templates" / "lottery.json"
ROS = Path(sys.executable).parent / "ros"
VALIDATE_GOAL_S = 0.150
CREATE_GOAL_S = 0.300
VALIDATE_GOAL_RATIO = 5.0
CREATE_GOAL_RATIO = 10.0


def _environment(ros_home: str, **extra: str) -> dict[str, str]:
    # Bytecode is written and reused, as in any installed copy: without it every run would compile
    # the sources again (PYTHONDONTWRITEBYTECODE is common in containers and CI).
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ROS_FC_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["ROS_HOME"] = ros_home
    env.update(extra)
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def _timed(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    _run(argv, env)
    return time.perf_counter() - began


class Commands:
    """The three measured commands; ``stack create`` works in the backend's ROS_HOME."""

    def __init__(self, backend_home: str):
        self.backend_home = backend_home
        self.created = 0

    def validate_argv(self) -> list[str]:
        return [str(ROS), "validate", str(LOTTERY)]

    def create_argv(self) -> list[str]:
        self.created += 1
        return [str(ROS), "stack", "create", "-t", str(LOTTERY), "-n", f"bench-cli-{self.created}"]

    def delete_last(self) -> None:
        name = f"bench-cli-{self.created}"
        _run([str(ROS), "stack", "delete", "-n", name], _environment(self.backend_home))


def measure(commands: Commands, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"python -c pass": [], "ros validate": [], "ros stack create": []}
    for _ in range(runs):
        bare = [sys.executable, "-c", "pass"]
        times["python -c pass"].append(_timed(bare, _environment(commands.backend_home)))
        home = tempfile.mkdtemp(prefix="ros-bench-cli-")
        try:
            times["ros validate"].append(_timed(commands.validate_argv(), _environment(home)))
        finally:
            shutil.rmtree(home, ignore_errors=True)
        times["ros stack create"].append(_timed(commands.create_argv(), _environment(commands.backend_home)))
        commands.delete_last()
    return times


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def report(times: dict[str, list[float]]) -> None:
    bare = statistics.median(times["python -c pass"])
    goals = {
        "ros validate": (VALIDATE_GOAL_S, VALIDATE_GOAL_RATIO),
        "ros stack create": (CREATE_GOAL_S, CREATE_GOAL_RATIO),
    }
    runs = len(times["python -c pass"])
    print(f"Whole-process wall time, {runs} runs each, round-robin ({ROS})")
    for label, values in times.items():
        median = statistics.median(values)
        line = (
            f"  {label:<18} median {median * 1000:6.0f} ms   p90 {_p90(values) * 1000:6.0f} ms"
            f"   {median / bare:5.1f}x python -c pass"
        )
        if label in goals:
            goal_s, goal_ratio = goals[label]
            ok = median <= goal_s and median / bare <= goal_ratio
            line += f"   goal <= {goal_s * 1000:.0f} ms and <= {goal_ratio:.0f}x: {'OK' if ok else 'OVER'}"
        print(line)


def import_profile(stderr: str) -> tuple[float, int, dict[str, float]]:
    """(total import seconds, modules imported, self seconds per top-level package) from the lines
    ``-X importtime`` writes: ``import time: <self us> | <cumulative us> | <indent><module>``."""
    per_package: dict[str, float] = defaultdict(float)
    total_us = 0
    modules = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
        modules += 1
        per_package[name.split(".")[0]] += int(self_us) / 1e6
        if not line.split("|")[2].startswith("  "):  # a top-level import: its cumulative time counts
            total_us += int(cumulative_us)
    return total_us / 1e6, modules, dict(per_package)


def print_import_profile(label: str, stderr: str, top: int) -> None:
    total, modules, per_package = import_profile(stderr)
    print(f"  {label}: {modules} modules, {total * 1000:.0f} ms of imports; top packages by self time:")
    ranked = sorted(per_package.items(), key=lambda item: item[1], reverse=True)[:top]
    print("    " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in ranked))


def profiles(commands: Commands, top: int) -> None:
    print("Import costs (one run of each under -X importtime; inflates times by ~10-20%)")
    cases: list[tuple[str, Callable[[dict[str, str]], subprocess.CompletedProcess[str]]]] = [
        ("python -c pass", lambda env: _run([sys.executable, "-c", "pass"], env)),
        ("ros validate", lambda env: _run(commands.validate_argv(), env)),
        ("ros stack create", lambda env: _run(commands.create_argv(), env)),
    ]
    for label, call in cases:
        home = commands.backend_home if label == "ros stack create" else tempfile.mkdtemp(prefix="ros-bench-")
        done = call(_environment(home, PYTHONPROFILEIMPORTTIME="1"))
        print_import_profile(label, done.stderr, top)
        if label == "ros stack create":
            commands.delete_last()
        else:
            shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=12, help="packages listed per import profile")
    args = parser.parse_args()
    if not ROS.exists():
        raise SystemExit(f"no ros entry point next to {sys.executable}: run this with the venv's python")
    backend_home = tempfile.mkdtemp(prefix="ros-bench-cli-backend-")
    _run([str(ROS), "fc", "start"], _environment(backend_home))
    try:
        commands = Commands(backend_home)
        # Warm-up: the page cache, the backend's first request, the first function instance.
        _run(commands.create_argv(), _environment(backend_home))
        commands.delete_last()
        _run(commands.validate_argv(), _environment(backend_home))
        report(measure(commands, args.runs))
        profiles(commands, args.top)
    finally:
        subprocess.run([str(ROS), "fc", "stop"], capture_output=True, env=_environment(backend_home))
        shutil.rmtree(backend_home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
