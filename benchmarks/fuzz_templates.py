"""Long fuzzing campaign over the template corpus (issue 17): prints cases/s and findings.

Mutated corpus templates (tests/support/fuzz_mutations.py: hostile values, functions, Count, patterns,
YAML snippets, alias chains, deep brackets, long numbers) go through the loader, ``ros validate``
and the engine's pre-flight check, each case in a forked child bounded to 2 s and 200 MB
(tests/support/fuzz_executor.py). ``--jobs`` processes run with distinct Hypothesis seeds. Every finding
(an internal error, a case over 2 s or 200 MB, a crash) is written to ``--findings`` as the
template itself plus a line saying what happened, ready for ``ros validate``.

Goal: 100,000 cases, 0 internal errors, 0 cases over 2 s or 200 MB.

Usage: python benchmarks/fuzz_templates.py [--cases 100000] [--jobs 2] [--seed 1] [--findings DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support's fuzz harness is shared with CI


@dataclass
class Stats:
    cases: int = 0
    seconds: float = 0.0  # time spent inside cases
    slowest: float = 0.0
    largest_mb: float = 0.0
    findings: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, other: Stats) -> None:
        self.cases += other.cases
        self.seconds += other.seconds
        self.slowest = max(self.slowest, other.slowest)
        self.largest_mb = max(self.largest_mb, other.largest_mb)
        self.findings.update(other.findings)
        self.examples += other.examples


# Hypothesis remembers every case of a run (to avoid repeats): runs of this many cases, each with its
# own seed, keep a long campaign's memory flat.
CASES_PER_RUN = 5_000


def campaign(job: int, seed: int, cases: int, findings_dir: str, progress: Any) -> Stats:
    """One process's share: ``cases`` Hypothesis-generated cases, in runs seeded from ``seed``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from tests.support.fuzz_executor import CaseRunner
    from tests.support.fuzz_mutations import Case, mutated_templates, sources

    sources()  # load the corpus before timing starts
    stats = Stats()
    runner = CaseRunner()
    directory = Path(findings_dir)

    def check(case: Case) -> None:
        outcome = runner.run(case.text, case.suffix)
        stats.cases += 1
        stats.seconds += outcome.seconds
        stats.slowest = max(stats.slowest, outcome.seconds)
        stats.largest_mb = max(stats.largest_mb, outcome.memory_mb)
        if outcome.finding is not None:
            stats.findings[outcome.finding] += 1
            name = f"job{job}-case{stats.cases}{case.suffix}"
            (directory / name).write_bytes(case.text.encode("utf-8", "surrogatepass"))
            summary = f"{name}: {case.describe()}\n  {outcome.describe()}"
            (directory / f"{name}.txt").write_text(summary + "\n")
            stats.examples.append(summary)
        if stats.cases % 200 == 0:
            progress.put((job, stats.cases))

    try:
        for run_index, start in enumerate(range(0, cases, CASES_PER_RUN)):
            run = given(case=mutated_templates())(check)
            run = settings(
                max_examples=min(CASES_PER_RUN, cases - start),
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(run)
            hypothesis_seed(seed * 1000 + run_index)(run)()
    finally:
        runner.close()
    return stats


def _job(job: int, seed: int, cases: int, findings_dir: str, progress: Any, results: Any) -> None:
    results.put(campaign(job, seed, cases, findings_dir, progress))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", default=None, help="directory for findings (default: a temp dir)")
    args = parser.parse_args()

    from tests.support.corpus import CORPUS

    if not CORPUS.is_dir():
        print(f"the template corpus is not at {CORPUS}", file=sys.stderr)
        return 2
    findings_dir = Path(args.findings or tempfile.mkdtemp(prefix="ros-fuzz-findings-"))
    findings_dir.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    progress, results = context.Queue(), context.Queue()
    shares = [
        args.cases // args.jobs + (1 if job < args.cases % args.jobs else 0) for job in range(args.jobs)
    ]
    started = time.perf_counter()
    processes = [
        context.Process(
            target=_job, args=(job, args.seed * 1000 + job, share, str(findings_dir), progress, results)
        )
        for job, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    done = [0] * args.jobs
    total = Stats()
    finished = 0
    last_report = started
    while finished < args.jobs:
        while not results.empty():
            total.add(results.get())
            finished += 1
        while not progress.empty():
            job, count = progress.get()
            done[job] = count
        now = time.perf_counter()
        if now - last_report >= 30:
            last_report = now
            print(f"  {sum(done):,} cases, {sum(done) / (now - started):.1f} cases/s", flush=True)
        if finished < args.jobs:
            try:
                total.add(results.get(timeout=1))
                finished += 1
            except Exception:  # queue.Empty: nothing finished in the last second
                if not any(process.is_alive() for process in processes) and results.empty():
                    codes = [process.exitcode for process in processes]
                    print(f"a fuzz job died (exit codes {codes})", file=sys.stderr)
                    return 1
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started

    per_case_ms = total.seconds / max(total.cases, 1) * 1000
    print(
        f"template fuzzing: {total.cases:,} cases in {elapsed:.0f} s, {args.jobs} processes, seed {args.seed}"
    )
    print(f"  {total.cases / elapsed:.1f} cases/s; {per_case_ms:.1f} ms per case inside its bounds")
    print(
        f"  slowest case {total.slowest:.2f} s (bound 2 s); largest {total.largest_mb:.0f} MB (bound 200 MB)"
    )
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(total.findings.items())) or "none"
    print(f"  findings: {kinds}  (written to {findings_dir})")
    for example in total.examples[:10]:
        print("   ", example.replace("\n", "\n    "))
    return 1 if total.findings else 0


if __name__ == "__main__":
    sys.exit(main())
