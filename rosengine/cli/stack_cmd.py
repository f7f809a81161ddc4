"""``ros stack …``: create, update, delete, list, describe, events, resources, outputs, preview,
continue, rollback and change sets, over the stack engine and its state store.

Exit codes: 0 success; 1 the operation failed (rolled back or not) or was refused because the
stack is busy; 2 usage or template errors (printed as ``file:line:col path: code: message``).
An update with nothing to change prints ``NotSupported: …`` on stderr and exits 0: the stack is
already what was asked, which is what a deploy script wants to hear (ROS answers NotSupported).
Progress is shown live while an operation runs: a rich table (one row per resource, status,
elapsed time) on a terminal, plain event lines otherwise; it goes to stderr when ``-o json|yaml``
so stdout stays machine-readable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from rosengine.cli.local_backend import ensure_local_backend
from rosengine.cli.output import emit, output_options, text_console
from rosengine.engine import StackEngine, StackError, StackOptions
from rosengine.engine import changesets as cs
from rosengine.engine.stack_engine import DEFAULT_CONCURRENCY, stack_name_from_file
from rosengine.errors import TemplateError, TemplateErrors
from rosengine.state import DATABASE_URL_VARIABLE, interrupted_message, open_store
from rosengine.state.models import ROLE_CURRENT, EventRecord, StackRecord
from rosengine.state.owner import is_alive
from rosengine.state.statuses import Action, ChangeSetType, Status
from sqlstore import DatabaseError

if TYPE_CHECKING:
    from rosengine.cli.stack_text import LiveProgress

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_REFUSED = {"ActionInProgress", "OperationInterrupted"}


# -- input helpers ------------------------------------------------------------------------------
def parse_parameters(pairs: tuple[str, ...], parameters_file: str | None) -> dict[str, Any]:
    """``--parameters-file`` (JSON/YAML map, or ROS's list of ParameterKey/ParameterValue) then
    ``-p K=V`` on top. The value is everything after the first ``=`` (commas stay)."""
    values: dict[str, Any] = {}
    if parameters_file:
        import yaml  # only for a parameters file: PyYAML is not needed by most stack commands

        try:
            loaded = yaml.safe_load(Path(parameters_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                f"cannot read {parameters_file}: {exc}", param_hint="--parameters-file"
            ) from exc
        if isinstance(loaded, list):
            try:
                loaded = {item["ParameterKey"]: item["ParameterValue"] for item in loaded}
            except (TypeError, KeyError) as exc:
                raise click.BadParameter(
                    "expected a map of name: value or a list of {ParameterKey, ParameterValue}",
                    param_hint="--parameters-file",
                ) from exc
        if not isinstance(loaded, dict):
            raise click.BadParameter("expected a map of name: value", param_hint="--parameters-file")
        values.update({str(k): v for k, v in loaded.items()})
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="-p/--parameter")
        values[key] = value
    return values


def read_template(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{path} is not UTF-8 text: {exc}", param_hint="-t/--template-file") from exc
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc.strerror}", param_hint="-t/--template-file"
        ) from exc


def _options(
    stack: StackRecord | None,
    timeout_mins: float | None,
    concurrency: int | None,
    disable_rollback: bool | None = None,
    replacement: str | None = None,
    placeholders: bool | None = None,
) -> StackOptions | None:
    if (
        timeout_mins is None
        and concurrency is None
        and disable_rollback is None
        and replacement is None
        and not placeholders
    ):
        return None
    opts = StackOptions.from_dict(stack.options if stack else {})
    if timeout_mins is not None:
        opts.timeout_mins = timeout_mins
    if concurrency is not None:
        opts.concurrency = concurrency
    if disable_rollback is not None:
        opts.disable_rollback = disable_rollback
    if replacement is not None:
        opts.replacement = replacement.lower() == "enabled"
    if placeholders:
        opts.placeholders = True
    return opts


# -- progress -----------------------------------------------------------------------------------
class PlainProgress:
    """One line per event (not a terminal, or JSON/YAML output)."""

    def __init__(self, err: bool):
        self.err = err

    def on_event(self, event: EventRecord) -> None:
        reason = f"  {event.reason}" if event.reason and event.reason != "state changed" else ""
        click.echo(
            f"{event.time}  {event.logical_id:<24} {event.type:<28} {event.status}{reason}", err=self.err
        )

    @contextmanager
    def running(self) -> Iterator[None]:
        yield


def _progress(output: str) -> PlainProgress | LiveProgress:
    if output == "text" and sys.stdout.isatty():
        from rosengine.cli.stack_text import LiveProgress  # rich: a terminal's live table only

        return LiveProgress(text_console())
    return PlainProgress(err=output != "text")


# -- error handling -----------------------------------------------------------------------------
def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn engine errors into messages and exit codes; never a traceback."""
    try:
        yield
    except TemplateErrors as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    except TemplateError as exc:
        _fail(f"error: {exc}", EXIT_USAGE)
    except StackError as exc:
        if exc.code == "NotSupported":
            click.echo(f"NotSupported: {exc.message}", err=True)
            raise SystemExit(EXIT_OK) from None
        _fail(f"error: {exc.code}: {exc.message}", EXIT_FAILED if exc.code in _REFUSED else EXIT_USAGE)
    except RuntimeError as exc:
        _fail(f"error: {exc}", EXIT_FAILED)


def _stack_placeholders(engine: StackEngine, existing_name: str | None) -> bool:
    """Whether an existing stack deploys placeholders (chosen at its create; later operations keep
    it, as they keep its timeout)."""
    stack = engine.store.find_stack(existing_name) if existing_name else None
    return bool(stack and stack.options.get("placeholders"))


def _engine(listener: Any = None) -> StackEngine:
    url = click.get_current_context().meta.get(_DATABASE_URL_KEY)
    try:
        store = open_store(url)
    except DatabaseError as exc:
        _fail(f"error: stack state: {exc}", EXIT_FAILED)
    return StackEngine(
        store,
        listener=listener,
        ensure_backend=lambda: ensure_local_backend(echo=lambda m: click.echo(m, err=True)),
    )


def _warn_interrupted(stack: StackRecord) -> None:
    if stack.in_progress and not is_alive(
        stack.owner_pid, stack.owner_host, stack.owner_started, stack.heartbeat
    ):
        click.echo(f"warning: {interrupted_message(stack)}", err=True)


def _stack_view(engine: StackEngine, stack: StackRecord) -> dict[str, Any]:
    """GetStack's shape, plus the placeholders the stack holds (never silent about them)."""
    data = stack.as_api(engine.store.get_outputs(stack.id))
    held = [r for r in engine.store.get_resources(stack.id, role=ROLE_CURRENT) if r.placeholder]
    if held:
        data["Placeholders"] = {
            "Count": len(held),
            "Resources": [{"LogicalResourceId": r.logical_id, "ResourceType": r.type} for r in held],
        }
    return data


def _print_stack(data: dict[str, Any]) -> None:
    from rosengine.cli.stack_text import print_stack  # rich: text output only

    print_stack(data)


def _rows_printer(*keys: str, title: str | None = None) -> Callable[[Any], None]:
    def render(data: Any) -> None:
        from rosengine.cli.stack_text import print_rows  # rich: text output only

        print_rows(data, keys, title)

    return render


def _run_operation(
    output: str,
    query: str | None,
    operation: Callable[[StackEngine], StackRecord],
    success: tuple[Status, ...],
) -> None:
    progress = _progress(output)
    with handled():
        engine = _engine(progress)
        with progress.running():
            stack = operation(engine)
        emit(_stack_view(engine, stack), output, query, _print_stack)
        if stack.status not in success:
            raise SystemExit(EXIT_FAILED)


# -- commands -----------------------------------------------------------------------------------
def _param_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--parameters-file",
        type=click.Path(exists=True, dir_okay=False),
        help="JSON/YAML map of parameter values (or ROS's ParameterKey/ParameterValue list).",
    )(fn)
    fn = click.option(
        "-p",
        "--parameter",
        "parameters",
        multiple=True,
        metavar="KEY=VALUE",
        help="A parameter value; repeat for several. The value is all after the first '='.",
    )(fn)
    return fn


placeholders_option = click.option(
    "--placeholders",
    is_flag=True,
    help="Deploy resource types that have no local twin as marked placeholders (IDs and attributes "
    "from their schemas; nothing runs). Without it such templates are refused.",
)


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=None,
        help=f"Provider calls in parallel [default: {DEFAULT_CONCURRENCY}].",
    )(fn)
    fn = click.option(
        "--timeout-mins",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="Fail the operation when it runs longer [default: 60].",
    )(fn)
    return fn


name_option = click.option("-n", "--name", "name", required=True, help="Stack name or id.")


_DATABASE_URL_KEY = "ros.database_url"


@click.group("stack")
@click.option(
    "--database-url",
    envvar=DATABASE_URL_VARIABLE,
    default=None,
    help="Keep stack state in this database (postgresql://user:password@host:port/db: shared by every "
    f"ros that names it; sqlite:///path.db) instead of $ROS_HOME/state.db [env {DATABASE_URL_VARIABLE}].",
)
@click.pass_context
def stack(ctx: click.Context, database_url: str | None) -> None:
    """Create and manage stacks from ROS templates (resources are really created locally)."""
    ctx.meta[_DATABASE_URL_KEY] = database_url


@stack.command("create")
@click.option(
    "-t", "--template-file", "template_file", required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "-n",
    "--name",
    "name",
    default=None,
    help="Stack name [default: the template file's stem, invalid characters as '-'].",
)
@_param_options
@click.option("--disable-rollback", is_flag=True, help="Keep what was created when the create fails.")
@placeholders_option
@_run_options
@output_options
def create_cmd(
    template_file: str,
    name: str | None,
    parameters: tuple[str, ...],
    parameters_file: str | None,
    disable_rollback: bool,
    placeholders: bool,
    timeout_mins: float | None,
    concurrency: int | None,
    output: str,
    query: str | None,
) -> None:
    """Create a stack: ros stack create -t lottery.json"""
    body = read_template(template_file)
    values = parse_parameters(parameters, parameters_file)
    stack_name = name or stack_name_from_file(template_file)
    if not name and stack_name != Path(template_file).stem:
        click.echo(
            f"note: using stack name {stack_name!r} (derived from {Path(template_file).name!r}; "
            "give -n/--name to choose another)",
            err=True,
        )
    opts = _options(None, timeout_mins, concurrency, disable_rollback, None, placeholders) or StackOptions()
    _run_operation(
        output,
        query,
        lambda e: e.create_stack(stack_name, body, filename=template_file, parameters=values, options=opts),
        (Status.CREATE_COMPLETE,),
    )


@stack.command("update")
@name_option
@click.option(
    "-t",
    "--template-file",
    "template_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="New template (omit, or --use-previous-template, to keep the current one).",
)
@click.option("--use-previous-template", is_flag=True, help="Keep the stack's current template.")
@_param_options
@click.option(
    "--no-previous-parameters",
    is_flag=True,
    help="Do not reuse previous values for parameters not given (defaults apply).",
)
@click.option(
    "--replacement-option",
    type=click.Choice(["Enabled", "Disabled"], case_sensitive=False),
    default=None,
    help="Allow replacing resources whose create-only properties change [default: Enabled].",
)
@placeholders_option
@_run_options
@output_options
def update_cmd(
    name: str,
    template_file: str | None,
    use_previous_template: bool,
    parameters: tuple[str, ...],
    parameters_file: str | None,
    no_previous_parameters: bool,
    replacement_option: str | None,
    placeholders: bool,
    timeout_mins: float | None,
    concurrency: int | None,
    output: str,
    query: str | None,
) -> None:
    """Update a stack; parameters not given keep their previous values."""
    if template_file and use_previous_template:
        raise click.UsageError("give either -t/--template-file or --use-previous-template, not both")
    body = read_template(template_file) if template_file else None
    values = parse_parameters(parameters, parameters_file)

    def operation(engine: StackEngine) -> StackRecord:
        current = engine.get_stack(name)
        opts = _options(current, timeout_mins, concurrency, None, replacement_option, placeholders)
        return engine.update_stack(
            name,
            template_body=body,
            filename=template_file,
            parameters=values,
            use_previous_parameters=not no_previous_parameters,
            options=opts,
        )

    _run_operation(output, query, operation, (Status.UPDATE_COMPLETE,))


@stack.command("delete")
@name_option
@click.option("--retain", multiple=True, metavar="LOGICAL_ID", help="Keep this resource (repeatable).")
@_run_options
@output_options
def delete_cmd(
    name: str,
    retain: tuple[str, ...],
    timeout_mins: float | None,
    concurrency: int | None,
    output: str,
    query: str | None,
) -> None:
    """Delete a stack and its resources (DeletionPolicy: Retain keeps a resource)."""

    def operation(engine: StackEngine) -> StackRecord:
        return engine.delete_stack(
            name, retain=retain, options=_options(engine.get_stack(name), timeout_mins, concurrency)
        )

    _run_operation(output, query, operation, (Status.DELETE_COMPLETE,))


@stack.command("continue")
@name_option
@_run_options
@output_options
def continue_cmd(
    name: str, timeout_mins: float | None, concurrency: int | None, output: str, query: str | None
) -> None:
    """Finish a failed or interrupted create (ContinueCreateStack)."""

    def operation(engine: StackEngine) -> StackRecord:
        return engine.continue_create(
            name, options=_options(engine.get_stack(name), timeout_mins, concurrency)
        )

    _run_operation(output, query, operation, (Status.CREATE_COMPLETE,))


@stack.command("rollback")
@name_option
@output_options
def rollback_cmd(name: str, output: str, query: str | None) -> None:
    """Undo a failed or interrupted create or update."""
    _run_operation(
        output,
        query,
        lambda e: e.rollback_stack(name),
        (Status.CREATE_ROLLBACK_COMPLETE, Status.ROLLBACK_COMPLETE),
    )


@stack.command("signal")
@name_option
@click.option(
    "--logical-id",
    "logical_id",
    required=True,
    help="The WaitConditionHandle to signal (or a WaitCondition waiting on it).",
)
@click.option(
    "--status",
    type=click.Choice(["SUCCESS", "FAILURE", "WARNING"], case_sensitive=False),
    default="SUCCESS",
    show_default=True,
)
@click.option(
    "--unique-id", default=None, help="Signal id (1-64 characters); a signal with the same id replaces it."
)
@click.option("--reason", default=None, help="Shown in the WaitCondition's events and errors.")
@click.option("--data", default=None, help="Data of the signal (JSON, or plain text).")
@output_options
def signal_cmd(
    name: str,
    logical_id: str,
    status: str,
    unique_id: str | None,
    reason: str | None,
    data: str | None,
    output: str,
    query: str | None,
) -> None:
    """Send a WaitConditionHandle a signal by hand (ROS's SignalResource)."""
    value: Any = data
    if data is not None:
        try:
            value = json.loads(data)
        except ValueError:
            value = data
    with handled():
        result = _engine().signal_resource(
            name, logical_id, status=status.upper(), unique_id=unique_id, reason=reason, data=value
        )
        emit(result, output, query, lambda d: click.echo(f"Signal {d['UniqueId']} ({d['Status']}) recorded."))


@stack.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include deleted stacks.")
@click.option(
    "--show-nested",
    is_flag=True,
    help="Include nested stacks (ALIYUN::ROS::Stack), as ROS's ShowNestedStack.",
)
@output_options
def list_cmd(show_all: bool, show_nested: bool, output: str, query: str | None) -> None:
    """List stacks (nested stacks only with --show-nested, as ROS lists them)."""
    with handled():
        engine = _engine()
        stacks = [
            s
            for s in engine.store.list_stacks(include_deleted=show_all)
            if show_nested or not s.parent_stack_id
        ]
        for record in stacks:
            _warn_interrupted(record)
        data = [{k: v for k, v in s.as_api().items() if k not in ("Parameters",)} for s in stacks]
        emit(
            data,
            output,
            query,
            _rows_printer("StackName", "Status", "CreateTime", "StatusReason", title="Stacks"),
        )


@stack.command("describe")
@name_option
@output_options
def describe_cmd(name: str, output: str, query: str | None) -> None:
    """Show a stack (GetStack): status, reason, parameters (NoEcho masked), outputs."""
    with handled():
        engine = _engine()
        record = engine.get_stack(name)
        _warn_interrupted(record)
        emit(_stack_view(engine, record), output, query, _print_stack)


@stack.command("template")
@name_option
@click.option(
    "--processed",
    is_flag=True,
    help="The template after its Transform was expanded (GetTemplate TemplateStage=Processed).",
)
def template_cmd(name: str, processed: bool) -> None:
    """Print a stack's template (GetTemplate): as written, or as processed.

    For a template without a Transform both are the same text."""
    with handled():
        record = _engine().get_stack(name)
        body = (record.processed_template or record.template_body) if processed else record.template_body
        click.echo(body, nl=not body.endswith("\n"))


@stack.command("events")
@name_option
@click.option("--logical-id", "logical_ids", multiple=True, help="Only events of this resource.")
@click.option("--status", "status_filter", multiple=True, help="Only events with this status.")
@output_options
def events_cmd(
    name: str, logical_ids: tuple[str, ...], status_filter: tuple[str, ...], output: str, query: str | None
) -> None:
    """Stack events, newest first (ListStackEvents)."""
    with handled():
        engine = _engine()
        record = engine.get_stack(name)
        _warn_interrupted(record)
        events = [
            e.as_api()
            for e in reversed(engine.store.list_events(record.id))
            if (not logical_ids or e.logical_id in logical_ids)
            and (not status_filter or e.status in status_filter)
        ]

        def text(data: Any) -> None:
            _rows_printer(
                "CreateTime", "LogicalResourceId", "ResourceType", "Status", "StatusReason", title="Events"
            )(list(reversed(data)))

        emit(events, output, query, text)


@stack.command("resources")
@name_option
@output_options
def resources_cmd(name: str, output: str, query: str | None) -> None:
    """The stack's resources (ListStackResources)."""
    with handled():
        engine = _engine()
        record = engine.get_stack(name)
        _warn_interrupted(record)
        data = [r.as_api(record.name) for r in engine.resources(record.id)]
        emit(
            data,
            output,
            query,
            _rows_printer(
                "LogicalResourceId",
                "ResourceType",
                "PhysicalResourceId",
                "Status",
                "StatusReason",
                title="Resources",
            ),
        )


@stack.command("outputs")
@name_option
@output_options
def outputs_cmd(name: str, output: str, query: str | None) -> None:
    """The stack's outputs (NoEcho values masked)."""
    with handled():
        engine = _engine()
        record = engine.get_stack(name)
        data = [o.as_api() for o in engine.store.get_outputs(record.id)]
        emit(data, output, query, _rows_printer("OutputKey", "OutputValue", "Description", title="Outputs"))


@stack.command("preview")
@click.option(
    "-t", "--template-file", "template_file", default=None, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "-n", "--name", "name", default=None, help="Stack to preview an update of (or the new stack's name)."
)
@_param_options
@click.option("--no-previous-parameters", is_flag=True, help="For an update: do not reuse previous values.")
@placeholders_option
@output_options
def preview_cmd(
    template_file: str | None,
    name: str | None,
    parameters: tuple[str, ...],
    parameters_file: str | None,
    no_previous_parameters: bool,
    placeholders: bool,
    output: str,
    query: str | None,
) -> None:
    """What a create or update would do, per resource (PreviewStack); nothing is changed."""
    if not template_file and not name:
        raise click.UsageError("give -t/--template-file (create or update) and/or -n/--name (update)")
    body = read_template(template_file) if template_file else None
    values = parse_parameters(parameters, parameters_file)
    with handled():
        engine = _engine()
        stack_name = name or stack_name_from_file(template_file or "stack")
        existing, prepared, changes = engine.plan(
            stack_name,
            body,
            filename=template_file,
            parameters=values,
            use_previous_parameters=not no_previous_parameters,
            stack_name=stack_name,
            preview=True,
            placeholders=placeholders or _stack_placeholders(engine, existing_name=name),
        )
        params = engine.display_parameters(prepared)
        hidden = set(prepared.no_echo)
        data = {
            "StackName": stack_name,
            "Operation": (Action.UPDATE if existing else Action.CREATE).value,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": "******" if k in hidden else v}
                for k, v in params.items()
                if not k.startswith("ALIYUN::")
            ],
            "Resources": [
                c.as_preview(placeholders or bool(existing and existing.options.get("placeholders")))
                for c in changes
            ],
        }

        def text(d: Any) -> None:
            _rows_printer(
                "LogicalResourceId",
                "ResourceType",
                "Action",
                "Replacement",
                "ReplacementReason",
                "Note",
                title=f"Preview of {d['Operation'].lower()} of {d['StackName']}",
            )(d["Resources"])

        emit(data, output, query, text)


@stack.group("changeset")
def changeset() -> None:
    """Change sets: review a create or update before executing it."""


@changeset.command("create")
@click.option("-n", "--name", "name", required=True, help="Stack name (a new one for a CREATE change set).")
@click.option("--change-set-name", "change_set_name", required=True)
@click.option(
    "-t", "--template-file", "template_file", default=None, type=click.Path(exists=True, dir_okay=False)
)
@_param_options
@click.option(
    "--type",
    "change_set_type",
    type=click.Choice([kind.value for kind in ChangeSetType], case_sensitive=False),
    default=None,
    help="Default: UPDATE when the stack exists, else CREATE.",
)
@click.option("--description", default="")
@placeholders_option
@output_options
def changeset_create_cmd(
    name: str,
    change_set_name: str,
    template_file: str | None,
    parameters: tuple[str, ...],
    parameters_file: str | None,
    change_set_type: str | None,
    description: str,
    placeholders: bool,
    output: str,
    query: str | None,
) -> None:
    """Create a change set (CreateChangeSet)."""
    body = read_template(template_file) if template_file else None
    values = parse_parameters(parameters, parameters_file)
    with handled():
        engine = _engine()
        current = engine.store.find_stack(name)
        opts = _options(
            current if current and current.status != "REVIEW_IN_PROGRESS" else None,
            None,
            None,
            None,
            None,
            placeholders,
        )
        record = cs.create_change_set(
            engine,
            name,
            change_set_name,
            template_body=body,
            filename=template_file or "",
            parameters=values,
            change_set_type=change_set_type,
            description=description,
            options=opts,
        )
        _emit_change_set(engine, record, output, query)


def _emit_change_set(engine: StackEngine, record: Any, output: str, query: str | None) -> None:
    data = cs.change_set_view(engine, record)

    def text(d: Any) -> None:
        click.echo(
            f"{d['ChangeSetName']} ({d['ChangeSetId']}) {d['ChangeSetType']} {d['Status']} "
            f"{d['ExecutionStatus']} {d['StatusReason']}".rstrip()
        )
        rows = [
            {
                **c["ResourceChange"],
                "Changed": ", ".join(x["Target"]["Name"] for x in c["ResourceChange"]["Details"]),
            }
            for c in d["Changes"]
        ]
        _rows_printer(
            "LogicalResourceId", "ResourceType", "Action", "Replacement", "Changed", title="Changes"
        )(rows)

    emit(data, output, query, text)


@changeset.command("describe")
@click.option("-n", "--name", "name", default=None, help="Stack name or id.")
@click.option("--change-set-name", "change_set", required=True, help="Change set name or id.")
@output_options
def changeset_describe_cmd(name: str | None, change_set: str, output: str, query: str | None) -> None:
    """Show a change set and its changes (GetChangeSet)."""
    with handled():
        engine = _engine()
        _emit_change_set(engine, cs.find_change_set(engine, change_set, name), output, query)


@changeset.command("execute")
@click.option("-n", "--name", "name", default=None, help="Stack name or id.")
@click.option("--change-set-name", "change_set", required=True, help="Change set name or id.")
@output_options
def changeset_execute_cmd(name: str | None, change_set: str, output: str, query: str | None) -> None:
    """Apply a change set (ExecuteChangeSet)."""
    _run_operation(
        output,
        query,
        lambda e: cs.execute_change_set(e, change_set, name),
        (Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE),
    )


@changeset.command("delete")
@click.option("-n", "--name", "name", default=None, help="Stack name or id.")
@click.option("--change-set-name", "change_set", required=True, help="Change set name or id.")
def changeset_delete_cmd(name: str | None, change_set: str) -> None:
    """Delete a change set (DeleteChangeSet)."""
    with handled():
        cs.delete_change_set(_engine(), change_set, name)
        click.echo(f"Deleted change set {change_set}.")


@changeset.command("list")
@name_option
@output_options
def changeset_list_cmd(name: str, output: str, query: str | None) -> None:
    """A stack's change sets (ListChangeSets)."""
    with handled():
        engine = _engine()
        record = engine.get_stack(name)
        data = [
            {k: v for k, v in c.as_api(record.no_echo).items() if k not in ("Changes", "Parameters")}
            for c in engine.store.list_change_sets(record.id)
        ]
        emit(
            data,
            output,
            query,
            _rows_printer(
                "ChangeSetName",
                "ChangeSetType",
                "Status",
                "ExecutionStatus",
                "CreateTime",
                title="Change sets",
            ),
        )


COMMANDS = [stack]
