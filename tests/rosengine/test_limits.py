"""rosengine.limits: the numbers, their error codes and messages, and the per-template budget."""

from __future__ import annotations

import threading

import pytest

from rosengine.errors import (
    REQUEST_LIMIT_EXCEEDED,
    STACK_RESOURCE_LIMIT_EXCEEDED,
    TEMPLATE_LIMIT_EXCEEDED,
    TemplateError,
)
from rosengine.limits import (
    EVALUATION_WORK,
    OUTPUTS,
    RESOURCES,
    STRING_LENGTH,
    TEMPLATE_BYTES,
    EvaluationBudget,
    jq_seconds,
)


def test_ross_own_figures_and_codes():
    assert (TEMPLATE_BYTES.maximum, TEMPLATE_BYTES.code) == (524_288, REQUEST_LIMIT_EXCEEDED)
    assert (RESOURCES.maximum, RESOURCES.code) == (300, STACK_RESOURCE_LIMIT_EXCEEDED)
    assert OUTPUTS.code == TEMPLATE_LIMIT_EXCEEDED


def test_a_limit_error_says_what_how_much_and_who_allows_what():
    error = RESOURCES.error(301, ("Resources", "R", "Count"), "the stack")
    assert error.message == "the stack: 301 resources; ROS allows at most 300"
    assert error.path == ("Resources", "R", "Count")
    assert error.details == {"limit": RESOURCES.what, "maximum": 300, "actual": 301}
    assert "rosengine allows" in OUTPUTS.error(201).message


def test_the_budget_refuses_a_long_string_before_counting_it():
    budget = EvaluationBudget(work=10)
    with pytest.raises(TemplateError) as caught:
        budget.produce_text(STRING_LENGTH.maximum + 1, "Fn::Join")
    assert (
        caught.value.code == TEMPLATE_LIMIT_EXCEEDED and "a string made by Fn::Join" in caught.value.message
    )
    budget.produce_text(10, "Fn::Join")  # the refused string did not use the budget


def test_the_budget_is_shared_and_thread_safe():
    budget = EvaluationBudget(work=100_000)
    failures: list[TemplateError] = []

    def produce() -> None:
        for _ in range(1000):
            try:
                budget.produce(1, "Fn::Split")
            except TemplateError as error:
                failures.append(error)

    threads = [threading.Thread(target=produce) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with pytest.raises(TemplateError, match="together produce more than"):
        budget.produce(92_001, "Fn::Split")
    assert EVALUATION_WORK.maximum >= 1 << 20


def test_jq_time_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ROS_JQ_TIMEOUT_S", "2.5")
    assert jq_seconds() == 2.5 and EvaluationBudget().jq_seconds_left == 2.5
    monkeypatch.setenv("ROS_JQ_TIMEOUT_S", "nonsense")
    assert jq_seconds() == 10.0
    budget = EvaluationBudget(jq_time=1.0)
    budget.spend_jq(1.5)
    assert budget.jq_seconds_left == 0.0
