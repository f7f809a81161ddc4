"""``ros fc``: run and manage the local Function Compute backend and talk to it.

Service commands: ``serve`` (foreground), ``start``/``stop``/``status`` (background daemon).
Client commands: ``invoke``, ``invocations``, ``logs``, ``instances``, ``exec``; they use ``ROS_FC_ENDPOINT``
when set, else the local daemon (started on demand). Exit codes: 0 ok, 1 failure (including a
function error from ``invoke``), 2 usage errors.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from rosengine.cli.fc_target import fc3_client, parse_target
from rosengine.cli.local_backend import ensure_local_backend
from rosengine.cli.output import emit, output_options, text_console
from sqlstore import DATABASE_URL_VARIABLE

DRIVERS = ["sandbox", "process", "docker"]


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _client() -> Any:
    from rosengine.clients.fc import FcApiError, FcClient

    try:
        ensure_local_backend(echo=_echo_err)
        client = FcClient.from_environment()
    except FcApiError as exc:
        raise click.ClickException(exc.message) from exc
    except Exception as exc:  # the daemon failed to start: say why, no traceback
        raise click.ClickException(str(exc)) from exc
    click.get_current_context().call_on_close(client.close)  # the command's connections end with it
    return client


def _call(fn: Callable[[], Any]) -> Any:
    from rosengine.clients.fc import FcApiError

    try:
        return fn()
    except FcApiError as exc:
        raise click.ClickException(
            f"{exc.error_code}: {exc.message}" if exc.error_code else exc.message
        ) from exc


def _target(value: str) -> tuple[str, str]:
    service, sep, function = value.partition("/")
    if not sep or not service or not function or "/" in function:
        raise click.BadParameter(f"expected SERVICE/FUNCTION, got '{value}'")
    return service, function


def _state_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="FC backend state directory (default: $ROS_HOME/fc).",
    )(fn)


def _server_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--cluster",
        envvar="ROS_CLUSTER",
        default=None,
        metavar="auto|HOST:PORT|ray://HOST:PORT",
        help="Run instances on the nodes of this Ray cluster (needs `pip install 'rosengine[cluster]'`): "
        "auto joins the cluster this machine belongs to, HOST:PORT names its head (GCS), ray://HOST:PORT "
        "goes through Ray Client; default: on this machine [env ROS_CLUSTER].",
    )(fn)
    fn = click.option(
        "--database-url",
        envvar=DATABASE_URL_VARIABLE,
        default=None,
        help="Keep the backend's state in this database: postgresql://user:password@host:port/db makes "
        "every backend that names it one FC service (same keys, functions, async queue); default: "
        "SQLite files in the state dir [env ROS_DATABASE_URL].",
    )(fn)
    fn = click.option("--no-auth", is_flag=True, help="Accept unsigned requests.")(fn)
    fn = click.option(
        "--driver",
        type=click.Choice(DRIVERS),
        default=None,
        help="How instances run (default: sandbox where bubblewrap works, else process).",
    )(fn)
    fn = click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        help="Port; 0 reuses the port this state dir's backend had last time when it is "
        "free (HTTP-trigger URLs stay valid across restarts), else picks a free one.",
    )(fn)
    fn = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")(fn)
    return _state_dir_option(fn)


@click.group("fc")
def fc() -> None:
    """Run the local Function Compute backend and call functions on it."""


@fc.command("serve")
@_server_options
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def serve_cmd(
    state_dir: Path | None,
    host: str,
    port: int,
    driver: str | None,
    no_auth: bool,
    database_url: str | None,
    cluster: str | None,
    log_level: str,
) -> None:
    """Run the backend in the foreground (Ctrl-C stops it)."""
    from fcbackend.backend_config import BackendConfig
    from fcbackend.server import DaemonError, serve
    from sqlstore import DatabaseError

    config = BackendConfig.for_state_dir(
        state_dir,
        host=host,
        port=port,
        driver=driver,
        auth=not no_auth,
        database_url=database_url,
        cluster=cluster,
    )

    def ready(info: dict[str, Any]) -> None:
        where = f", instances on the Ray cluster at {info['cluster']}" if info.get("cluster") else ""
        click.echo(
            f"FC backend listening on {info['endpoint']} (driver {info['driver'] or 'none'}"
            f"{'' if info['isolated'] else ', functions NOT isolated'}{where})",
            err=True,
        )
        if config.auth:
            click.echo(
                f"AccessKeyId {config.access_key_id}  AccessKeySecret {config.access_key_secret}", err=True
            )
        else:
            click.echo("Authentication is off (--no-auth).", err=True)

    try:
        serve(config, log_level=log_level, on_ready=ready)
    except (DaemonError, DatabaseError) as exc:
        raise click.ClickException(str(exc)) from exc


@fc.command("start")
@_server_options
@output_options
def start_cmd(
    state_dir: Path | None,
    host: str,
    port: int,
    driver: str | None,
    no_auth: bool,
    database_url: str | None,
    cluster: str | None,
    output: str,
    query: str | None,
) -> None:
    """Start the backend in the background (no-op when it already runs).

    Without --port the backend listens on the port it had last time (remembered in the state dir)
    if that port is free, so endpoints and HTTP-trigger URLs stay the same; otherwise on a free one.
    A backend of the same state dir that runs but does not answer is reported, not duplicated.
    """
    from fcbackend.server import DaemonError, start_daemon

    try:
        info, started = start_daemon(
            state_dir,
            host=host,
            port=port,
            driver=driver,
            auth=not no_auth,
            database_url=database_url,
            cluster=cluster,
        )
    except DaemonError as exc:
        raise click.ClickException(str(exc)) from exc
    data = {"endpoint": info["endpoint"], "pid": info["pid"], "started": started}
    emit(
        data,
        output,
        query,
        lambda d: click.echo(
            f"FC backend {'started' if d['started'] else 'already running'} "
            f"at {d['endpoint']} (pid {d['pid']})"
        ),
    )


@fc.command("stop")
@_state_dir_option
def stop_cmd(state_dir: Path | None) -> None:
    """Stop the background backend (graceful, then forced after 10 s)."""
    from fcbackend.server import stop_daemon

    info = stop_daemon(state_dir)
    if info is None:
        click.echo("No FC backend is running.")
    else:
        click.echo(f"Stopped the FC backend (pid {info.get('pid')}).")


def _status_text(data: dict[str, Any]) -> None:
    if not data.get("running"):
        if data.get("error"):
            click.echo(f"FC backend: {data['error']}")
        else:
            click.echo("FC backend: not running (start it with `ros fc start`)")
        return
    rows = [("Endpoint", data["endpoint"])]
    if data.get("source") == "ROS_FC_ENDPOINT":
        rows.append(("Source", "ROS_FC_ENDPOINT"))
    if data.get("error"):
        rows.append(("Note", data["error"]))
    rows += [
        ("PID", data.get("pid")),
        ("Driver", data.get("driver") or "none"),
        (
            "Isolated",
            (f"yes ({data['note']})" if data.get("note") else "yes")
            if data.get("isolated")
            else f"no ({data.get('note') or 'functions run unsandboxed'})",
        ),
        ("Auth", "on" if data.get("auth", True) else "off"),
        ("AccessKeyId", data.get("accessKeyId", "")),
        ("AccessKeySecret", data.get("accessKeySecret", "")),
        ("State dir", data.get("stateDir", "")),
        ("Proxy", data.get("proxy")),
        ("CA file", data.get("caFile")),
    ]
    for service, endpoint in sorted((data.get("twins") or {}).items()):
        rows.append((f"Twin {service}", endpoint))
    for label, value in rows:
        if value is not None:
            click.echo(f"{label + ':':<17}{value}")


STATUS_FIELDS = (
    "endpoint",
    "pid",
    "driver",
    "isolated",
    "note",
    "auth",
    "accessKeyId",
    "accessKeySecret",
    "stateDir",
    "proxy",
    "caFile",
    "caBundle",
    "twins",
)


def _local_status(state_dir: Path | None) -> dict[str, Any]:
    """The daemon of the state dir, as ``backend.json`` records it; a live pid that does not
    answer is reported as such (``error``), not as "not running"."""
    from fcbackend.server import BackendNotAnswering, live_backend

    try:
        info = live_backend(state_dir)
    except BackendNotAnswering as exc:
        return {"running": False, "endpoint": exc.endpoint or None, "pid": exc.pid, "error": str(exc)}
    if info is None:
        return {"running": False}
    return {"running": True, **{k: info.get(k) for k in STATUS_FIELDS}}


def _remote_status(endpoint: str) -> dict[str, Any]:
    """Status of the backend ``ROS_FC_ENDPOINT`` names (what every other command talks to).

    Our choice (FC has no such route): the endpoint may be a real FC service, which has no
    ``/local/status``; any FC-shaped answer there (e.g. 404) still means "running", without the
    rosengine details. The secret is never printed for a remote endpoint: it came from the user.
    """
    from rosengine.clients.fc import FcApiError, FcBackendUnavailable, FcClient

    data: dict[str, Any] = {"running": True, "endpoint": endpoint, "source": "ROS_FC_ENDPOINT"}
    with FcClient.from_environment() as client:
        data["endpoint"] = client.endpoint
        try:
            remote = client.backend_status()
        except FcBackendUnavailable as exc:
            return {**data, "running": False, "error": exc.message}
        except FcApiError as exc:
            if exc.status == 0:  # timed out: alive maybe, but not answering
                return {**data, "running": False, "error": exc.message}
            return {**data, "error": f"the endpoint answers but has no rosengine status ({exc})"}
    data.update({k: remote.get(k) for k in STATUS_FIELDS if k not in ("endpoint", "accessKeySecret")})
    data["accessKeyId"] = client.access_key_id
    return data


@fc.command("status")
@_state_dir_option
@output_options
def status_cmd(state_dir: Path | None, output: str, query: str | None) -> None:
    """Show whether the backend runs, where, with which driver and credentials.

    With ROS_FC_ENDPOINT set (and no --state-dir) this asks that endpoint, the one `ros stack`
    and the other `ros fc` commands use; otherwise the local daemon of the state dir.
    """
    import os

    endpoint = os.environ.get("ROS_FC_ENDPOINT")
    data = _remote_status(endpoint) if endpoint and state_dir is None else _local_status(state_dir)
    emit(data, output, query, _status_text)
    if not data["running"]:
        sys.exit(1)


@fc.command("invoke")
@click.argument("target")
@click.option("--qualifier", "-q", default=None, help="Version id or alias (default LATEST).")
@click.option("--event", "-e", default=None, help="Event payload (text).")
@click.option(
    "--event-file",
    "-f",
    type=click.File("rb"),
    default=None,
    help="Read the event from a file ('-' = stdin).",
)
@click.option("--tail-log", is_flag=True, help="Also print the last 4 KB of the invocation's log.")
@click.option("--async", "is_async", is_flag=True, help="Invoke asynchronously (returns the request id).")
@output_options
def invoke_cmd(
    target: str,
    qualifier: str | None,
    event: str | None,
    event_file: Any,
    tail_log: bool,
    is_async: bool,
    output: str,
    query: str | None,
) -> None:
    """Invoke FUNCTION (FC 3.0) or SERVICE/FUNCTION (FC 2.0) and print its result."""
    fn, _ = parse_target(target)
    if event is not None and event_file is not None:
        raise click.UsageError("give either --event or --event-file, not both")
    payload = event_file.read() if event_file is not None else (event or "").encode()
    kind, log_type = ("Async" if is_async else "Sync"), ("Tail" if tail_log else None)
    if fn.fc3:
        fc3 = fc3_client(_echo_err)
        result = _call(
            lambda: fc3.invoke_function(
                fn.function, payload, qualifier, invocation_type=kind, log_type=log_type
            )
        )
    else:
        client = _client()
        result = _call(
            lambda: client.invoke_function(
                fn.service, fn.function, payload, qualifier=qualifier, invocation_type=kind, log_type=log_type
            )
        )
    body = result.body.decode("utf-8", "replace")
    data = {
        "requestId": result.request_id,
        "status": result.status,
        "errorType": result.error_type,
        "version": result.headers.get("x-fc-invocation-service-version"),
        "durationMs": result.headers.get("x-fc-invocation-duration"),
        "result": body,
    }
    if tail_log:
        data["log"] = result.log

    def text(d: dict[str, Any]) -> None:
        if tail_log and d.get("log"):
            click.echo(d["log"].rstrip("\n"), err=True)
        if is_async:
            task = result.headers.get("x-fc-async-task-id") or result.headers.get(
                "x-fc-stateful-async-invocation-id"
            )
            click.echo(f"Accepted: request id {d['requestId']}" + (f", task {task}" if task else ""))
        elif d["errorType"]:
            click.echo(f"{d['errorType']}: {d['result']}", err=True)
        else:
            click.echo(d["result"])

    emit(data, output, query, text)
    if result.error_type:
        sys.exit(1)


@fc.command("invocations")
@click.argument("target", required=False)
@click.option("--limit", "-n", type=click.IntRange(1, 10000), default=20, show_default=True)
@output_options
def invocations_cmd(target: str | None, limit: int, output: str, query: str | None) -> None:
    """List recent invocations (newest first) of both FC versions, optionally of one FUNCTION
    (FC 3.0) or SERVICE/FUNCTION (FC 2.0).

    The backend writes a sync invocation's record within 0.2 s of its end (the flush interval),
    so a kill -9 of the backend can lose the records of sync invocations of its last 0.2 s. An
    async invocation the queue shows as finished always has its record. Details:
    docs/design/storage.md ("What a crash can lose")."""
    params: dict[str, Any] = {"limit": limit}
    if target:
        params["function"] = parse_target(target)[0].api_name
    fc3 = fc3_client(_echo_err)
    records = _call(lambda: fc3.local("invocations", **params)["invocations"])

    def text(rows: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table(
            "Time", "Function", "Version", "Request id", "Start", "Duration ms", "Memory MB", "Result"
        )
        for r in rows:
            table.add_row(
                r["time"],
                r["name"],
                str(r["versionId"]),
                r["requestId"],
                "cold" if r["coldStart"] else "warm",
                f"{r['durationMs'] or 0:.1f}",
                f"{r['maxMemoryUsageMb'] or 0:.1f}",
                r["error"] or str(r["status"]),
            )
        text_console().print(table)

    emit(records, output, query, text)


@fc.command("logs")
@click.argument("target")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new log lines (Ctrl-C stops).")
@click.option(
    "--tail",
    "tail_bytes",
    type=click.IntRange(0),
    default=None,
    help="Start this many bytes before the end instead of at the beginning.",
)
def logs_cmd(target: str, follow: bool, tail_bytes: int | None) -> None:
    """Print the log of FUNCTION (FC 3.0) or SERVICE/FUNCTION (FC 2.0)."""
    name = parse_target(target)[0].api_name
    fc3 = fc3_client(_echo_err)
    offset = -tail_bytes if tail_bytes else 0
    delay = 0.2
    try:
        while True:
            data, offset = _call(functools.partial(fc3.read_logs, name, offset))
            if data:
                click.echo(data.decode("utf-8", "replace"), nl=False)
            if not follow:
                return
            if not data:
                time.sleep(delay)  # polling the backend for new lines, not synchronisation
    except KeyboardInterrupt:
        return


@fc.command("instances")
@output_options
def instances_cmd(output: str, query: str | None) -> None:
    """List the running function instances (both FC versions)."""
    fc3 = fc3_client(_echo_err)
    rows = _call(lambda: fc3.local("instances")["instances"])

    def text(items: list[dict[str, Any]]) -> None:
        from rich.table import Table

        # a backend with --cluster: which node each instance runs on (Ray node ids, shortened)
        on_nodes = any(i.get("node") for i in items)
        # Backends on a shared database list every backend's instances, each naming its backend.
        several = any("backend" in i for i in items)
        columns = ["Instance", "Function", "Version", "Driver", *(["Node"] if on_nodes else [])]
        table = Table(*columns, "State", "In flight", "Memory", *(("Backend",) if several else ()))
        for i in items:
            node = [str(i.get("node") or "")[:12]] if on_nodes else []
            table.add_row(
                str(i.get("id")),
                str(i.get("name")),
                str(i.get("version")),
                str(i.get("driver", "")),
                *node,
                str(i.get("state", "")),
                str(i.get("in_flight", "")),
                str(i.get("memory", "")),
                *((str(i.get("backend", "")),) if several else ()),
            )
        text_console().print(table)

    emit(rows, output, query, text)


@fc.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("target")
@click.argument("instance_id")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--qualifier", "-q", default=None, help="Version id or alias of the path (default LATEST).")
@click.option("--stdin", "-i", "pass_stdin", is_flag=True, help="Send this terminal's stdin to the command.")
@click.option("--tty", "-t", is_flag=True, help="Run the command on a pseudo-terminal (interactive shells).")
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Kill the command after this many seconds without input or output (server default 600).",
)
def exec_cmd(
    target: str,
    instance_id: str,
    command: tuple[str, ...],
    qualifier: str | None,
    pass_stdin: bool,
    tty: bool,
    idle_timeout: float | None,
) -> None:
    """Run COMMAND inside a running instance of SERVICE/FUNCTION (ids: `ros fc instances`).

    Example: ros fc exec svc/fn c-1a2b3c4d-0001 -- cat /code/index.py. Output streams as it comes;
    the exit code is the command's own (1 when the session ended without one, e.g. idle timeout).
    """
    service, function = _target(target)
    client = _client()

    def show(stream: int, data: bytes) -> None:
        out = sys.stdout.buffer if stream == 1 else sys.stderr.buffer
        out.write(data)
        out.flush()

    stdin_chunks = _stdin_chunks() if pass_stdin else None
    with _raw_terminal(tty and pass_stdin):
        result = _call(
            lambda: client.exec_instance(
                service,
                function,
                instance_id,
                list(command),
                qualifier=qualifier,
                stdin=stdin_chunks,
                tty=tty,
                idle_timeout=idle_timeout,
                on_output=show,
            )
        )
    error = result.error or {}
    if result.exit_code < 0 or error.get("reason") not in (None, "NonZeroExitCode"):
        _echo_err(f"ros fc exec: {error.get('message') or 'the session ended without an exit status'}")
        sys.exit(1)
    sys.exit(result.exit_code)


def _stdin_chunks() -> Iterator[bytes]:
    """This process's stdin as it arrives (``read1``: what is there, not a full buffer)."""
    stream = sys.stdin.buffer
    read = getattr(stream, "read1", stream.read)
    while chunk := read(65536):
        yield chunk


class _raw_terminal:
    """Put a real terminal in raw mode for a tty session (keys go to the remote shell as typed)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stdin.isatty()
        self._saved: Any = None

    def __enter__(self) -> None:
        if self.enabled:
            import termios
            import tty

            self._saved = termios.tcgetattr(sys.stdin.fileno())
            tty.setraw(sys.stdin.fileno())

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)


COMMANDS = [fc]
