"""``Fn::Jq`` — ``[method, script, object]``: run a real jq program over a JSON value.

``First`` returns the first output (``null`` when there is none), ``All`` the list of outputs;
the method name is matched case-insensitively. The object is usually JSON text (an attribute or
a Json parameter) and is decoded first; text that is not JSON is passed to jq as a JSON string,
and an already parsed structure is used as it is. Uses the ``jq`` PyPI binding (real jq
semantics), run in a helper process with a time and memory limit
(:mod:`rosengine.functions.jq_runner`: a jq program can loop forever, which must not hang
``ros validate`` or outlive a stack's timeout).

Time is one budget per template (``ROS_JQ_TIMEOUT_S``, default 10 s, for all its Fn::Jq calls
together): four endless programs cost 10 s, not 40. Once it is spent, every further call is a
``TemplateLimitExceeded`` error without running.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rosengine.errors import TEMPLATE_LIMIT_EXCEEDED, Path, TemplateError
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError
from rosengine.limits import EvaluationBudget

NAME = "Fn::Jq"
SHAPE = "[First|All, script, object]"
METHODS = ("first", "all")


def _input(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def evaluate_jq(args: Any, ctx: FunctionContext, path: Path) -> Any:
    method, script, document = expect_list(NAME, args, SHAPE, min_len=3, max_len=3)
    if not isinstance(method, str) or method.strip().lower() not in METHODS:
        raise fail(NAME, "the method to be 'First' or 'All'", method, (0,))
    if not isinstance(script, str) or not script.strip():
        raise fail(NAME, "the script to be a jq program string", script, (1,))
    # The helper-process machinery (ctypes, threads, subprocess) only for templates that use Fn::Jq.
    from rosengine.functions.jq_runner import JqFailure, run_jq

    budget = ctx.budget
    left = budget.jq_seconds_left
    if left <= 0:
        raise _out_of_time(budget)
    started = time.monotonic()
    try:
        outputs = run_jq(script, _input(document), timeout=left)
    except JqFailure as exc:
        if exc.kind == "timeout":
            budget.spend_jq(left)
            raise _out_of_time(budget) from exc
        what = "invalid jq script" if exc.kind == "compile" else "jq script"
        how = "" if exc.kind == "compile" else " failed"
        raise FunctionError(f"{NAME}: {what} {script!r}{how}: {exc}", sub_path=(1,)) from exc
    finally:
        budget.spend_jq(time.monotonic() - started)
    if method.strip().lower() == "all":
        return outputs
    return outputs[0] if outputs else None


def _out_of_time(budget: EvaluationBudget) -> TemplateError:
    return TemplateError(
        TEMPLATE_LIMIT_EXCEEDED,
        f"{NAME}: the jq programs of this template ran out of their {budget.jq_total:g} s "
        "(all Fn::Jq calls together; ROS_JQ_TIMEOUT_S)",
        details={"limit": "Fn::Jq time", "maximum": budget.jq_total},
    )


define(NAME, evaluate_jq)
