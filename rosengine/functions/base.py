"""The contract between the template evaluator and the intrinsic functions.

Why this shape: ROS has ~40 functions; each lives in its own small module under
``rosengine/functions/`` and registers one :class:`IntrinsicFunction`. The evaluator
(``rosengine/template/evaluator.py``) owns walking the template, recognising one-key mappings
``{"Fn::X": args}`` / ``{"Ref": name}``, and attaching JSON paths to errors. A function only sees
its arguments and a :class:`FunctionContext`.

Two kinds of function:

* **eager** (the default): the evaluator evaluates the arguments first and passes plain Python
  values. If any argument is (or contains) :class:`Unknown` the evaluator returns an
  :class:`Unknown` without calling the function, unless ``accepts_unknown`` is set.
* **lazy** (``lazy=True``): receives the raw argument node and must call ``ctx.evaluate(node,
  path)`` itself (``Fn::If`` evaluates only the chosen branch; ``Fn::And``/``Fn::Or`` accept
  condition names; ``Ref``/``Fn::GetAtt``/``Fn::Sub`` need the names, not values).

A function signals a problem by raising :class:`FunctionError` (the evaluator turns it into a
:class:`~rosengine.errors.TemplateError` located at the call) or ``TemplateError`` directly when
it knows a more precise code (``InvalidTemplateReference`` …).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rosengine.errors import INVALID_FUNCTION, Path
from rosengine.limits import EvaluationBudget


class FunctionError(Exception):
    """Bad arguments or an impossible evaluation inside one function call."""

    def __init__(self, message: str, code: str = INVALID_FUNCTION, sub_path: Path = ()):
        super().__init__(message)
        self.message = message
        self.code = code
        self.sub_path = sub_path  # path *inside* the function's arguments, if known


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known statically (a GetAtt before the resource exists, a parameter
    validated symbolically). ``type`` is a JSON-Schema type name when known (``"string"``,
    ``"integer"``, ``"array"`` …) so property validation can still check it; ``source`` says
    where it came from, for messages."""

    type: str | None = None
    source: str = ""

    def __repr__(self) -> str:
        return f"<unknown {self.type or 'any'} from {self.source or '?'}>"


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


class NoValueType:
    """The value of ``{"Ref": "ALIYUN::NoValue"}``: the enclosing property is removed."""

    _instance: NoValueType | None = None

    def __new__(cls) -> NoValueType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NoValue"


NO_VALUE = NoValueType()


class StackOutputReader(Protocol):
    """How Fn::GetStackOutput reads another stack's outputs (the state store implements it)."""

    def get_stack_output(self, stack_name_or_id: str, output_name: str, region: str | None) -> Any: ...


@dataclass
class FunctionContext:
    """Everything a function may consult. The evaluator builds one per evaluation pass.

    ``evaluate``/``ref``/``get_att``/``condition`` are callbacks into the evaluator so that lazy
    functions can resolve nested nodes, names and conditions with correct error paths.
    """

    evaluate: Callable[[Any, Path], Any]
    ref: Callable[[str, Path], Any]
    get_att: Callable[[str, str, Path], Any]
    condition: Callable[[str, Path], bool]
    mappings: dict[str, Any] = field(default_factory=dict)
    region: str = "cn-hangzhou"
    account_id: str = "1234567890123456"
    now: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.UTC)
    zones: Callable[[str], list[str]] | None = None
    stack_outputs: StackOutputReader | None = None
    # "resource" while resolving resource properties/outputs; "condition", "rule", "count",
    # "local" in those sections, so functions can enforce where they may appear.
    section: str = "resource"
    static: bool = False  # True in `ros validate`: unknown things become Unknown, not errors
    # What the functions of the whole template may still produce and how long Fn::Jq may still run
    # (rosengine/limits.py); the template's Scope shares one budget between all its contexts.
    budget: EvaluationBudget = field(default_factory=EvaluationBudget)
    depth: int = 0  # functions being evaluated around the current call (the evaluator counts)


EvalFn = Callable[[Any, FunctionContext, Path], Any]


@dataclass(frozen=True)
class IntrinsicFunction:
    """One registered function.

    ``name`` is the long form key (``"Fn::Join"``, ``"Ref"``); ``tag`` the YAML short tag without
    ``!`` (``"Join"``). ``evaluate(args, ctx, path)`` gets evaluated args (eager) or the raw node
    (lazy); ``path`` is the path of the call itself, for errors. ``result_type`` is the JSON
    schema type the result has when statically unknown (used to type-check properties).
    ``aliases`` are other long-form names for the same function (``Fn::Base64``).
    """

    name: str
    tag: str
    evaluate: EvalFn
    lazy: bool = False
    accepts_unknown: bool = False
    result_type: str | None = None
    aliases: tuple[str, ...] = ()
    condition_function: bool = False  # allowed as the outer function of a Conditions entry
