"""Nested stacks (ALIYUN::ROS::Stack): real stacks run by the engine on behalf of a parent.

ROS's type: https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ros-stack (and
docs/reference/ros-template-language.md#nested-stacks-wait-conditions-and-custom-resources).
A nested stack is a stack of its own (``ros stack describe`` shows its ``ParentStackId`` and
``RootStackId``; ``ros stack list --show-nested`` lists it) created, updated and deleted only with
its parent, through the parent's ``ALIYUN::ROS::Stack`` resource: the provider asks the
``ros-stacks`` client, which is :class:`NestedStacks` — the engine acting as the local ROS service.
Outputs reach the parent as ``Fn::GetAtt [Res, Outputs.<Name>]`` (and ``Outputs``, the whole map);
``Ref`` is the stack's ARN.

Where a nested template comes from: ``TemplateBody`` (a map or a YAML/JSON string; the parent
never evaluates it), else ``TemplateURL``: a local path (relative to the parent template's
directory), ``file://``, or ``oss://bucket/key`` from the local object store. A URL on the Internet
is refused — rosengine never fetches templates from the Internet — and so is ``TemplateId`` (the
account's template store has no local twin). Templates that can be read before anything starts
are checked then, recursively (ROS allows 5 levels), every problem named with the parent's file
and line; others are checked when their stack is created, and a problem names the parent's
resource the same way.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from resource_types.base import ProviderError
from rosengine.engine.errors import NOT_SUPPORTED, StackError
from rosengine.engine.progress import NullListener
from rosengine.errors import STACK_VALIDATION_FAILED, TemplateError, TemplateErrors
from rosengine.state.models import StackRecord
from rosengine.template import load_template
from rosengine.template.model import Template

if TYPE_CHECKING:
    from rosengine.engine.operation import OperationContext
    from rosengine.engine.stack_engine import StackEngine, StackOptions

STACK_TYPE = "ALIYUN::ROS::Stack"
MAX_NESTING_DEPTH = 5  # ROS's limit: a stack may nest stacks 5 levels deep
DEFAULT_TIMEOUT_MINS = 60


class NestedTemplateError(Exception):
    """A nested template that cannot be had or read; ``property`` names the parent's property."""

    def __init__(self, message: str, property_name: str):
        super().__init__(message)
        self.message = message
        self.property_name = property_name


@dataclass(frozen=True)
class NestedSource:
    text: str
    filename: str  # what errors inside the nested template are located with
    property_name: str  # TemplateBody | TemplateURL
    described: str  # "the TemplateBody of Nested" / "TemplateURL ./child.yml"


def stack_arn(stack: StackRecord) -> str:
    """``Ref`` of a nested stack: ``arn:acs:ros::<region>:<account>:stacks/<name>/<id>``."""
    ident = stack.identity or {}
    return (
        f"arn:acs:ros::{ident.get('region', '')}:{ident.get('account_id', '')}:stacks/{stack.name}/{stack.id}"
    )


def stack_id_of(physical_id: str) -> str:
    """The stack id in a nested stack's ARN (or the id itself)."""
    return physical_id.rsplit("/", 1)[-1]


def _is_function(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def template_source(
    properties: Mapping[str, Any],
    *,
    parent_filename: str,
    logical_id: str,
    read_oss: Callable[[str, str], bytes] | None,
) -> NestedSource:
    """The nested template a Stack resource names (see the module docstring for the rules)."""
    body = properties.get("TemplateBody")
    inline = f"{parent_filename or '<template>'}#Resources.{logical_id}.Properties.TemplateBody"
    if isinstance(body, dict):
        return NestedSource(
            json.dumps(body, ensure_ascii=False), inline, "TemplateBody", f"the TemplateBody of {logical_id}"
        )
    if isinstance(body, str) and body:
        return NestedSource(body, inline, "TemplateBody", f"the TemplateBody of {logical_id}")
    url = properties.get("TemplateURL")
    if isinstance(url, str) and url:
        return _from_url(url, parent_filename, read_oss)
    if properties.get("TemplateId"):
        raise NestedTemplateError(
            "TemplateId names a template in the ROS account's template store, which has no local twin; "
            "give the template as TemplateBody or TemplateURL (a local file)",
            "TemplateId",
        )
    raise NestedTemplateError("a nested stack needs TemplateBody or TemplateURL", "TemplateBody")


def _from_url(url: str, parent_filename: str, read_oss: Callable[[str, str], bytes] | None) -> NestedSource:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    described = f"TemplateURL {url}"
    if scheme in ("http", "https"):
        raise NestedTemplateError(
            f"TemplateURL {url} is on the Internet, and rosengine never fetches templates from it: save the "
            "template and give its path (TemplateURL: ./child.yml, or file:///...), or put it in the local "
            "object store (oss://bucket/key)",
            "TemplateURL",
        )
    if scheme == "oss":
        bucket, key = parts.netloc, unquote(parts.path.lstrip("/"))
        if not bucket or not key:
            raise NestedTemplateError(f"TemplateURL {url} must look like oss://bucket/key", "TemplateURL")
        if read_oss is None:
            raise NestedTemplateError(f"{described}: the local object store is not available", "TemplateURL")
        region = parse_qs(parts.query).get("RegionId", [""])[0]
        del region  # one local object store serves every region
        try:
            data = read_oss(bucket, key)
        except Exception as exc:
            raise NestedTemplateError(
                f"{described} cannot be read from the local object store: {exc}", "TemplateURL"
            ) from exc
        return NestedSource(_text(data, described), url, "TemplateURL", described)
    if scheme == "file":
        path = Path(unquote(parts.path))
    elif scheme in ("",) or len(scheme) == 1:  # a plain path (or a Windows drive letter)
        path = Path(url).expanduser()
    else:
        raise NestedTemplateError(
            f"TemplateURL {url}: the {scheme}:// scheme is not supported here (use a local path, file:// or "
            "oss://)",
            "TemplateURL",
        )
    if not path.is_absolute():
        base = (
            Path(parent_filename).resolve().parent
            if parent_filename and not parent_filename.startswith("<")
            else Path.cwd()
        )
        path = base / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NestedTemplateError(
            f"{described} cannot be read ({path}): {exc.strerror or exc}", "TemplateURL"
        ) from exc
    return NestedSource(_text(data, described), str(path), "TemplateURL", described)


def _text(data: bytes, described: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NestedTemplateError(f"{described} is not UTF-8 text: {exc}", "TemplateURL") from exc


def _literal_parameters(properties: Mapping[str, Any]) -> dict[str, Any]:
    given = properties.get("Parameters")
    if not isinstance(given, dict):
        return {}
    return {str(k): v for k, v in given.items() if not _is_function(v)}


def _summary(errors: list[TemplateError], limit: int = 5) -> str:
    shown = "; ".join(str(e) for e in errors[:limit])
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return shown + more


# -- before anything starts -------------------------------------------------------------------------
def nested_template_errors(
    template: Template,
    *,
    depth: int,
    read_oss: Callable[[str, str], bytes] | None,
    creatable: Callable[[str], bool],
) -> tuple[list[TemplateError], dict[str, list[str]]]:
    """Problems of the nested templates ``template`` names with literal sources (recursively), each
    located at the parent's property; and the types of those templates that cannot be created here
    (``type -> ["Parent.Nested", ...]``), for the engine's one refusal."""
    from rosengine.engine.preflight import static_errors

    errors: list[TemplateError] = []
    missing: dict[str, list[str]] = {}
    resources = template.data.get("Resources") if isinstance(template.data, dict) else None
    if not isinstance(resources, dict):
        return errors, missing
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != STACK_TYPE:
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        body, url = properties.get("TemplateBody"), properties.get("TemplateURL")
        literal = isinstance(body, dict) or (isinstance(body, str) and body) or (isinstance(url, str) and url)
        if not literal and not (
            body is None and url is None and isinstance(properties.get("TemplateId"), str)
        ):
            continue  # given by a function: checked when the stack is created
        path: tuple[str | int, ...] = ("Resources", logical_id, "Properties")

        def located(message: str, prop: str, path: tuple[str | int, ...] = path) -> TemplateError:
            return template.locate(TemplateError(STACK_VALIDATION_FAILED, message, path + (prop,)))

        if depth + 1 > MAX_NESTING_DEPTH:
            errors.append(
                located(
                    f"stacks nest at most {MAX_NESTING_DEPTH} levels deep; {logical_id} would be level "
                    f"{depth + 1}",
                    "TemplateBody" if body else "TemplateURL",
                )
            )
            continue
        try:
            source = template_source(
                properties, parent_filename=template.filename, logical_id=logical_id, read_oss=read_oss
            )
            child = load_template(source.text, filename=source.filename)
        except NestedTemplateError as exc:
            errors.append(located(exc.message, exc.property_name))
            continue
        except TemplateErrors as exc:
            errors.append(
                located(
                    f"the nested template ({source.described}) does not parse: {_summary(exc.errors)}",
                    source.property_name,
                )
            )
            continue
        except TemplateError as exc:
            errors.append(
                located(
                    f"the nested template ({source.described}) does not parse: {exc}", source.property_name
                )
            )
            continue
        found = static_errors(child, _literal_parameters(properties))
        if found:
            errors.append(
                located(
                    f"the nested template ({source.described}) is not valid: {_summary(found)}",
                    source.property_name,
                )
            )
            continue
        for child_id, child_resource in (child.data.get("Resources") or {}).items():
            kind = child_resource.get("Type") if isinstance(child_resource, dict) else None
            if isinstance(kind, str) and not creatable(kind):
                missing.setdefault(kind, []).append(f"{logical_id}.{child_id}")
        deeper_errors, deeper_missing = nested_template_errors(
            child, depth=depth + 1, read_oss=read_oss, creatable=creatable
        )
        for error in deeper_errors:
            errors.append(
                located(f"in the nested template ({source.described}): {error}", source.property_name)
            )
        for kind, names in deeper_missing.items():
            missing.setdefault(kind, []).extend(f"{logical_id}.{name}" for name in names)
    return errors, missing


def nesting_depth(engine: StackEngine, stack: StackRecord) -> int:
    """How deep ``stack`` is nested (0: a top-level stack)."""
    depth, parent = 0, stack.parent_stack_id
    while parent and depth <= MAX_NESTING_DEPTH + 1:
        found = engine.store.find_stack(parent)
        depth, parent = depth + 1, (found.parent_stack_id if found else None)
    return depth


# -- while the parent's operation runs --------------------------------------------------------------
@dataclass(frozen=True)
class NestedResult:
    arn: str
    outputs: dict[str, Any]


class NestedStacks:
    """The ``ros-stacks`` client of one parent operation: creates, updates and deletes the parent's
    nested stacks with a child engine on the same state store (same owner, own locks)."""

    def __init__(
        self,
        engine: StackEngine,
        rt: OperationContext,
        options: StackOptions,
        read_oss: Callable[[str, str], bytes] | None,
    ):
        self.engine = engine
        self.rt = rt
        self.options = options
        self.read_oss = read_oss

    def close(self) -> None:
        """Nothing to release: the child engines share the parent's store and clients."""

    def _child_engine(self) -> StackEngine:
        from rosengine.engine.stack_engine import StackEngine

        return StackEngine(
            self.engine.store,
            listener=NullListener(),
            echo=self.engine.echo,
            owner=self.engine.owner,
            client_builders=self.engine.client_builders,
        )

    def _options(self, properties: Mapping[str, Any], timeout_s: float) -> StackOptions:
        from rosengine.engine.stack_engine import StackOptions

        asked = properties.get("TimeoutMins") or DEFAULT_TIMEOUT_MINS
        try:
            minutes = float(asked)
        except (TypeError, ValueError):
            raise ProviderError(
                f"TimeoutMins must be a number, got {asked!r}", code="InvalidParameter"
            ) from None
        return StackOptions(
            disable_rollback=self.options.disable_rollback,
            timeout_mins=max(min(minutes, timeout_s / 60.0), 1 / 60.0),
            concurrency=self.options.concurrency,
            replacement=self.options.replacement,
            placeholders=self.options.placeholders,
        )

    def _where(self, logical_id: str, prop: str) -> str:
        """``parent.yml:12:7 Resources.Nested.Properties.TemplateURL`` — where a problem of a nested
        template is named in the parent."""
        path: tuple[str | int, ...] = ("Resources", logical_id, "Properties", prop)
        template = self.rt.template
        dotted = ".".join(str(p) for p in path)
        if template is None:
            return f"{self.rt.stack.template_filename or '<template>'} {dotted}"
        position = template.source_map.locate(path)
        where = f":{position[0]}:{position[1]}" if position else ""
        return f"{template.filename or '<template>'}{where} {dotted}"

    def _source(self, logical_id: str, properties: Mapping[str, Any]) -> NestedSource:
        if nesting_depth(self.engine, self.rt.stack) + 1 > MAX_NESTING_DEPTH:
            raise ProviderError(
                f"{self._where(logical_id, 'TemplateBody')}: stacks nest at most {MAX_NESTING_DEPTH} "
                "levels deep",
                code="NestingTooDeep",
            )
        try:
            return template_source(
                properties,
                parent_filename=self.rt.stack.template_filename,
                logical_id=logical_id,
                read_oss=self.read_oss,
            )
        except NestedTemplateError as exc:
            raise ProviderError(
                f"{self._where(logical_id, exc.property_name)}: {exc.message}", code="InvalidNestedTemplate"
            ) from None

    def _refused(
        self, logical_id: str, source: NestedSource, exc: TemplateError | TemplateErrors
    ) -> ProviderError:
        errors = exc.errors if isinstance(exc, TemplateErrors) else [exc]
        return ProviderError(
            f"{self._where(logical_id, source.property_name)}: the nested template ({source.described}) "
            f"is not valid: {_summary(errors)}",
            code="InvalidNestedTemplate",
        )

    def _outputs(self, stack_id: str) -> dict[str, Any]:
        return {o.key: o.value for o in self.engine.store.get_outputs(stack_id)}

    def create(self, logical_id: str, properties: Mapping[str, Any], timeout_s: float) -> NestedResult:
        source = self._source(logical_id, properties)
        parent = self.rt.stack
        name = f"{parent.name}-{logical_id}-{secrets.token_hex(4)}"[-255:].lstrip("-_") or logical_id
        try:
            child = self._child_engine().create_stack(
                name,
                source.text,
                filename=source.filename,
                parameters=dict(properties.get("Parameters") or {}),
                options=self._options(properties, timeout_s),
                parent=parent,
            )
        except (TemplateError, TemplateErrors) as exc:
            raise self._refused(logical_id, source, exc) from None
        except StackError as exc:
            raise ProviderError(f"nested stack {name}: {exc.code}: {exc.message}", code=exc.code) from None
        if child.status != "CREATE_COMPLETE":
            raise ProviderError(
                f"nested stack {child.name} is {child.status}: {child.reason}", code="NestedStackFailed"
            )
        return NestedResult(stack_arn(child), self._outputs(child.id))

    def update(
        self, physical_id: str, logical_id: str, properties: Mapping[str, Any], timeout_s: float
    ) -> NestedResult:
        source = self._source(logical_id, properties)
        engine = self._child_engine()
        stack_id = stack_id_of(physical_id)
        try:
            child = engine.update_stack(
                stack_id,
                template_body=source.text,
                filename=source.filename,
                parameters=dict(properties.get("Parameters") or {}),
                use_previous_parameters=False,
                options=self._options(properties, timeout_s),
                as_nested=True,
            )
        except (TemplateError, TemplateErrors) as exc:
            raise self._refused(logical_id, source, exc) from None
        except StackError as exc:
            if exc.code != NOT_SUPPORTED:
                raise ProviderError(
                    f"nested stack {stack_id}: {exc.code}: {exc.message}", code=exc.code
                ) from None
            child = engine.get_stack(stack_id)  # nothing to change: the nested stack is already so
        else:
            if child.status != "UPDATE_COMPLETE":
                raise ProviderError(
                    f"nested stack {child.name} is {child.status}: {child.reason}", code="NestedStackFailed"
                )
        return NestedResult(stack_arn(child), self._outputs(child.id))

    def delete(self, physical_id: str, timeout_s: float) -> None:
        from rosengine.engine.stack_engine import StackOptions

        engine = self._child_engine()
        stack = engine.store.find_stack(stack_id_of(physical_id))
        if stack is None or stack.status == "DELETE_COMPLETE":
            return
        options = StackOptions.from_dict(stack.options)
        options.timeout_mins = max(min(options.timeout_mins, timeout_s / 60.0), 1 / 60.0)
        done = engine.delete_stack(stack.id, options=options, as_nested=True)
        if done.status != "DELETE_COMPLETE":
            raise ProviderError(
                f"nested stack {done.name} is {done.status}: {done.reason}", code="NestedStackFailed"
            )
