"""Fuzzing (issue 17): mutated corpus templates never give an internal error, take over 2 s or add
over 200 MB in the loader, ``ros validate`` or the engine's pre-flight check.

CI runs a bounded, repeatable number of cases (``derandomize``: the same cases every run, so a
failure here is a regression, not luck); ``benchmarks/fuzz_templates.py`` runs the long random
campaign and prints cases/s and findings. Each case runs in a forked child with its own bounds
(tests/support/fuzz_executor.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from tests.support.corpus import require_corpus
from tests.support.fuzz_executor import MEMORY_MB, SLOW_S, CaseRunner
from tests.support.fuzz_mutations import Case, mutated_templates
from tests.support.paths import REPO

CI_CASES = int(os.environ.get("ROS_FUZZ_CASES", "800"))


@pytest.fixture(scope="module")
def corpus() -> None:
    """The mutated templates come from the corpus (skipped without it, failed in CI)."""
    require_corpus()


@pytest.fixture(scope="module")
def runner() -> Iterator[CaseRunner]:
    case_runner = CaseRunner()
    yield case_runner
    case_runner.close()


@settings(
    max_examples=CI_CASES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(case=mutated_templates())
def test_mutated_corpus_templates_are_answered_within_bounds(
    corpus: None, runner: CaseRunner, case: Case
) -> None:
    outcome = runner.run(case.text, case.suffix)
    assert outcome.finding is None, f"{case.describe()}\n{outcome.describe()}"


def test_every_template_in_the_tests_is_answered_within_bounds(runner: CaseRunner) -> None:
    """``ros validate`` of any template kept in tests/ finishes within seconds, cleanly or with a
    clear error (issue 17's definition of done)."""
    paths = [
        path
        for path in sorted((REPO / "tests").rglob("*"))
        if path.suffix in (".yml", ".yaml", ".json") and path.is_file() and "__pycache__" not in path.parts
    ]
    slow = []
    for path in paths:
        outcome = runner.run(path.read_text(encoding="utf-8", errors="replace"), path.suffix)
        if outcome.finding is not None:
            slow.append(f"{path.relative_to(REPO)}: {outcome.describe()}")
    assert slow == [], f"over {SLOW_S} s / {MEMORY_MB} MB or internal errors:\n" + "\n".join(slow)


def test_the_harness_reports_a_slow_case() -> None:
    """The bound is measured, not assumed: with a 2.5 s Fn::Jq budget, an endless jq program makes
    a case slower than the 2 s bound."""
    slow_runner = CaseRunner(jq_seconds=2.5)
    try:
        endless = 'Outputs:\n  O:\n    Value: !Jq [First, "def f: f; f", "{}"]\n'
        outcome = slow_runner.run('ROSTemplateFormatVersion: "2015-09-01"\n' + endless, ".yml")
    finally:
        slow_runner.close()
    assert outcome.finding == "slow" and outcome.seconds > SLOW_S and outcome.internal == []
