"""Fn::Jq programs run in a helper process: a program that never ends or eats all memory fails
with a clear error instead of hanging or sinking the caller, and the next program runs normally."""

from __future__ import annotations

import pytest

from rosengine.functions.jq_runner import JqFailure, JqRunner


@pytest.fixture
def runner():
    jq_runner = JqRunner(timeout_s=1.5)
    yield jq_runner
    jq_runner.close()


def test_outputs_and_errors_come_back(runner):
    assert runner.run(".a[] | . * 2", {"a": [1, 2]}) == [2, 4]
    with pytest.raises(JqFailure) as compile_error:
        runner.run(".a[", {})
    assert compile_error.value.kind == "compile"
    with pytest.raises(JqFailure) as run_error:
        runner.run(".a + 1", {"a": "text"})
    assert run_error.value.kind == "run"


def test_a_program_that_never_ends_times_out_and_the_worker_is_replaced(runner):
    with pytest.raises(JqFailure) as failure:
        runner.run("def f: f; f", {})
    assert failure.value.kind == "timeout" and "1.5 s" in str(failure.value)
    assert runner.run(".", {"still": "works"}) == [{"still": "works"}]


def test_a_memory_hungry_program_is_contained(runner):
    with pytest.raises(JqFailure) as failure:
        runner.run("[range(0; 1e10)] | length", None)
    assert failure.value.kind in ("memory", "timeout", "run")
    assert runner.run("1 + 1", None) == [2]
