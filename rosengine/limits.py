"""What one template may ask of rosengine: ROS's published limits, ours where ROS publishes none.

Why one module: ``ros validate`` runs in CI on templates from pull requests, so no template may
stop, slow or exhaust it. Every limit below is checked *before* the work it bounds (the size of a
string before it is built, the number of Count copies before they are made, the time left before
a jq program starts), and a breach is a :class:`~rosengine.errors.TemplateError` with the code
named here and the place in the template, like every other error. Where each number comes from is
in ``docs/limits.md``.

:class:`EvaluationBudget` carries the limits that add up over a whole template (the text and items
its functions produce, the time its ``Fn::Jq`` programs run): one budget per prepared template,
shared by every evaluation of it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from rosengine.errors import (
    REQUEST_LIMIT_EXCEEDED,
    STACK_RESOURCE_LIMIT_EXCEEDED,
    STACK_VALIDATION_FAILED,
    TEMPLATE_LIMIT_EXCEEDED,
    Path,
    TemplateError,
)


@dataclass(frozen=True)
class Limit:
    """One maximum: ``what`` it bounds (for messages), in ``unit``; ``by_ros`` when the number is
    ROS's own (the message then says ROS refuses more, not just rosengine)."""

    what: str
    maximum: int
    unit: str
    code: str
    by_ros: bool = False

    def exceeded(self, actual: int) -> bool:
        return actual > self.maximum

    def error(self, actual: int | None = None, path: Path = (), subject: str | None = None) -> TemplateError:
        """The error for a breach; ``subject`` names the thing measured when it is not ``what``."""
        who = "ROS allows" if self.by_ros else "rosengine allows"
        measured = (
            f"{actual:,} {self.unit}" if actual is not None else f"more than {self.maximum:,} {self.unit}"
        )
        return TemplateError(
            self.code,
            f"{subject or self.what}: {measured}; {who} at most {self.maximum:,}",
            path,
            details={"limit": self.what, "maximum": self.maximum, "actual": actual},
        )

    def check(self, actual: int, path: Path = (), subject: str | None = None) -> None:
        if actual > self.maximum:
            raise self.error(actual, path, subject)


# ---- the template text and its sections (ROS's figures) ----------------------------------------
# Template file 512 KB and 300 resources per stack: https://www.alibabacloud.com/help/doc-detail/28854.htm
# 200 parameters: CreateStack takes Parameters.1..200,
# https://www.alibabacloud.com/help/en/ros/developer-reference/api-ros-2019-09-10-createstack
TEMPLATE_BYTES = Limit("the template", 524_288, "bytes", REQUEST_LIMIT_EXCEEDED, by_ros=True)
RESOURCES = Limit("the resources of a stack", 300, "resources", STACK_RESOURCE_LIMIT_EXCEEDED, by_ros=True)
PARAMETERS = Limit("the parameters of a template", 200, "parameters", TEMPLATE_LIMIT_EXCEEDED, by_ros=True)

# Locals nest at most 5 levels: https://help.aliyun.com/zh/ros/user-guide/local-variables-locals
LOCALS_DEPTH = Limit("locals referring to locals", 5, "levels", STACK_VALIDATION_FAILED, by_ros=True)

# ---- ours: ROS publishes no figure; each is far above what the corpus's templates need, and the
# reason for each number is in docs/limits.md --------------------------------------------------
OUTPUTS = Limit("the outputs of a template", 200, "outputs", TEMPLATE_LIMIT_EXCEEDED)
NESTING_DEPTH = Limit("nesting of mappings and lists", 128, "levels", TEMPLATE_LIMIT_EXCEEDED)
FUNCTION_DEPTH = Limit("nesting of functions", 32, "levels", TEMPLATE_LIMIT_EXCEEDED)
CONDITION_DEPTH = Limit("conditions referring to conditions", 32, "levels", TEMPLATE_LIMIT_EXCEEDED)
# YAML aliases repeat a node without writing it again; written out, the template may be at most
# twice ROS's size (counted as one unit per node plus the characters of its text). No template
# without aliases gets near it.
EXPANDED_SIZE = Limit(
    "the template with its YAML aliases written out",
    2 * TEMPLATE_BYTES.maximum,
    "units",
    TEMPLATE_LIMIT_EXCEEDED,
)
# A number written in a template (Python refuses to convert longer ones).
NUMBER_DIGITS = Limit("a number", 4300, "digits", TEMPLATE_LIMIT_EXCEEDED)
# One string made by a function (Fn::Join, Fn::Sub, Fn::Replace, Fn::Base64Encode, Fn::Indent …):
# twice the template size, enough for any text a template can carry, encoded.
STRING_LENGTH = Limit(
    "a string made by a function", 2 * TEMPLATE_BYTES.maximum, "characters", TEMPLATE_LIMIT_EXCEEDED
)
# Everything the functions of one template produce together: characters of text plus list and map
# items. 32 Mi units take well under a second to produce.
EVALUATION_WORK = Limit(
    "what the functions of this template produce", 32 << 20, "characters and items", TEMPLATE_LIMIT_EXCEEDED
)
# Integers made by Fn::Calculate / Fn::Add stay printable (Python's own text limit is 4300 digits).
INTEGER_BITS = Limit("an integer made by a function", 14_000, "bits", TEMPLATE_LIMIT_EXCEEDED)


def jq_seconds() -> float:
    """The time all Fn::Jq programs of one template may run together (``ROS_JQ_TIMEOUT_S``)."""
    try:
        value = float(os.environ.get("ROS_JQ_TIMEOUT_S", "10"))
    except ValueError:
        return 10.0
    return value if value > 0 else 10.0


# A jq program's output travels back as JSON text of at most this many bytes.
JQ_OUTPUT_BYTES = STRING_LENGTH.maximum
# Each helper process (the Fn::Jq worker) may use this much address space.
HELPER_MEMORY_BYTES = 512 << 20


def check_length(length: int, subject: str) -> None:
    """A string of ``length`` characters about to be made by ``subject`` (a function name)."""
    STRING_LENGTH.check(length, subject=f"a string made by {subject}")


class EvaluationBudget:
    """The limits that add up over one template's evaluation; thread-safe (the stack engine
    resolves resources in parallel)."""

    def __init__(self, work: int = EVALUATION_WORK.maximum, jq_time: float | None = None):
        self._work_left = work
        self._jq_left = jq_seconds() if jq_time is None else jq_time
        self.jq_total = self._jq_left
        self._lock = threading.Lock()

    def produce_text(self, length: int, subject: str) -> None:
        """Call before building a string of ``length`` characters (``subject``: the function)."""
        check_length(length, subject)
        self.produce(length, subject)

    def produce(self, units: int, subject: str) -> None:
        """Call before producing ``units`` characters or items (or before scanning them)."""
        with self._lock:
            self._work_left -= units
            exhausted = self._work_left < 0
        if exhausted:
            raise TemplateError(
                EVALUATION_WORK.code,
                f"{subject}: the functions of this template together produce more than "
                f"{EVALUATION_WORK.maximum:,} {EVALUATION_WORK.unit}; rosengine allows at most that",
                details={"limit": EVALUATION_WORK.what, "maximum": EVALUATION_WORK.maximum},
            )

    @property
    def jq_seconds_left(self) -> float:
        with self._lock:
            return max(self._jq_left, 0.0)

    def spend_jq(self, seconds: float) -> None:
        with self._lock:
            self._jq_left -= seconds
