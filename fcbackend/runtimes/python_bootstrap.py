"""The in-instance agent of the built-in Python runtimes (and the relay of custom runtimes).

Why a bootstrap: FC's Python runtimes call ``handler(event, context)``; our backend talks to every
instance with the custom-runtime protocol (docs/reference/fc-runtime.md#custom-runtimes-and-containers) over a
Unix socket. This program bridges the two, so a built-in runtime is "just another CA server" to the driver and
the scheduler.

Why it starts *generic*: the pool (fcbackend/instances/prestarted.py) starts this program, inside its
sandbox, before any function is known — the interpreter is up and its modules imported, waiting
on its socket. ``POST /__rosengine/specialise`` then turns it into an instance of one function
(environment, search paths, handler names); a cold start costs that request plus the import of the
user's module, not an interpreter start (the SOCK "zygote" idea; see docs/design/warm-path.md). A
specialised process is never re-specialised: one sandbox serves one function for its whole life.

Modes (chosen at specialisation):

* ``python``  — python3, python3.9, python3.10, python3.12: the event is ``bytes``.
* ``python2`` — python2.7 *compatibility*: the code still runs on the host's Python 3, but the event
  is a ``str`` (decoded UTF-8, undecodable bytes kept via surrogateescape) as python2.7 gave it, and
  ``str`` results are encoded back the same way. Python-2-only syntax is not supported.
* ``custom``  — start ``/code/bootstrap`` (or the configured command), wait until it listens on
  ``127.0.0.1:<CAPort>`` inside the instance's own network namespace, then relay every new
  connection on the Unix socket to it byte for byte. (FC rejects servers bound to 127.0.0.1 only;
  we accept them, since the relay runs inside the instance.)

Requests are told apart by the ``x-fc-control-path`` header: ``/invoke``, ``/http-invoke``
(WSGI, docs/reference/fc-runtime.md#http-functions-wsgi), ``/initialize``, ``/pre-stop`` and ``/pre-freeze``.
Each response carries that request's log (``FC Invoke Start ...`` through ``FC Invoke End ...``, print output,
logging lines) base64-encoded in ``x-rosengine-log``; output is routed per request via a thread-local, so it
stays separate when instanceConcurrency > 1. A handler exception answers 404 with ``x-fc-status: 404`` and
FC's error JSON ``{errorMessage, errorType, stackTrace}``.

This file must run on a bare Python 3.8+ with only the standard library: it is executed as a
script inside sandboxes, never imported by the backend.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily at run time (see Runtime.specialise)
    import subprocess

READY_LINE = b"\x00rosengine-ready\n"
SPECIALISE_PATH = "/__rosengine/specialise"
PING_PATH = "/__rosengine/ping"
LOG_HEADER = "x-rosengine-log"
MAX_LOG_BYTES = 1 << 20  # per request; the backend keeps the tail

_local = threading.local()
_this_file = os.path.abspath(__file__)


# --------------------------------------------------------------------------- output routing


class _RoutedBinary(io.RawIOBase):
    """``sys.stdout.buffer``: bytes go to the current request's log, else to the real fd."""

    def __init__(self, fd):
        super().__init__()
        self._fd = fd

    def writable(self):
        return True

    def write(self, data):
        data = bytes(data)
        buf = getattr(_local, "log", None)
        if buf is not None:
            if len(buf) < MAX_LOG_BYTES:
                buf += data
        else:
            try:
                os.write(self._fd, data)
            except OSError:
                pass
        return len(data)

    def fileno(self):
        return self._fd


class _RoutedText(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` replacement that keeps each request's output apart."""

    def __init__(self, fd):
        super().__init__()
        self.buffer = _RoutedBinary(fd)
        self._fd = fd

    # io.TextIOBase declares these as plain attributes but implements them as read-only
    # descriptors, so a property is the only way to give them values.
    @property
    def encoding(self):  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self):  # type: ignore[override]
        return "replace"

    def writable(self):
        return True

    def write(self, text):
        self.buffer.write(str(text).encode("utf-8", "replace"))
        return len(text)

    def flush(self):
        return None

    def isatty(self):
        return False

    def fileno(self):
        return self._fd


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = getattr(_local, "request_id", "") or ""
        return True


class _FcRootFormatter(logging.Formatter):
    """``2017-07-05T05:13:35.920Z <request id> [INFO] message`` (docs/reference/fc-runtime.md#logs)."""

    def formatTime(self, record, datefmt=None):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class _FcContextFormatter(logging.Formatter):
    """``2017-07-05 05:13:35 <request id> [INFO] message`` for ``context.getLogger()``."""

    def formatTime(self, record, datefmt=None):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.created))


def _install_output_routing():
    sys.stdout = _RoutedText(1)
    sys.stderr = _RoutedText(2)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_FcRootFormatter("%(asctime)s %(request_id)s [%(levelname)s] %(message)s"))
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    context_logger = logging.getLogger("fc.context")
    context_logger.propagate = False
    context_handler = logging.StreamHandler(sys.stdout)
    context_handler.setFormatter(
        _FcContextFormatter("%(asctime)s %(request_id)s [%(levelname)s] %(message)s")
    )
    context_handler.addFilter(_RequestIdFilter())
    context_logger.addHandler(context_handler)
    context_logger.setLevel(logging.INFO)


class _RequestScope:
    """Routes output of the current thread into a per-request buffer."""

    def __init__(self, request_id):
        self.request_id = request_id
        self.log = bytearray()

    def __enter__(self):
        _local.request_id = self.request_id
        _local.log = self.log
        return self

    def __exit__(self, *exc):
        _local.request_id = None
        _local.log = None
        return False

    def line(self, text):
        self.log.extend((text + "\n").encode("utf-8", "replace"))


# --------------------------------------------------------------------------- the context object


class Credentials:
    """``context.credentials``. FC's Python runtime answers to both spellings: the snake_case names
    of the docs and the camelCase ``accessKeyId``/``accessKeySecret``/``securityToken`` that many
    published functions (e.g. ROS solution templates) read; the camelCase ones are read-only views
    of the same values, so the two can never disagree."""

    def __init__(self, access_key_id, access_key_secret, security_token):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token

    @property
    def accessKeyId(self):
        return self.access_key_id

    @property
    def accessKeySecret(self):
        return self.access_key_secret

    @property
    def securityToken(self):
        return self.security_token


class FunctionMeta:
    def __init__(self, meta):
        self.name = meta.get("name", "")
        self.handler = meta.get("handler", "")
        self.memory = meta.get("memory", 128)
        self.timeout = meta.get("timeout", 3)
        self.initializer = meta.get("initializer", "")
        self.initialization_timeout = meta.get("initialization_timeout", 3)


class FunctionMeta312(FunctionMeta):
    def __init__(self, meta, service):
        super().__init__(meta)
        self.version_id = service.get("version_id", "LATEST")
        self.qualifier = service.get("qualifier", "LATEST")


class ServiceMeta:
    def __init__(self, meta):
        self.name = meta.get("name", "")
        self.log_project = meta.get("log_project", "")
        self.log_store = meta.get("log_store", "")
        self.qualifier = meta.get("qualifier", "LATEST")
        self.version_id = meta.get("version_id", "LATEST")


class Tracing:
    def __init__(self, span_context="", jaeger_endpoint="", span_baggages=""):
        self.span_context = span_context
        self.jaeger_endpoint = jaeger_endpoint
        self.span_baggages = span_baggages

    def parseOpenTracingBaggages(self):
        if not self.span_baggages:
            return {}
        try:
            return json.loads(base64.b64decode(self.span_baggages))
        except Exception:
            return {}


class Context:
    """The ``context`` of docs/reference/fc-runtime.md#the-context-object (FC 2.0 Python runtimes)."""

    def __init__(self, request_id, headers, config):
        self.request_id = request_id
        self.credentials = Credentials(
            headers.get("x-fc-access-key-id", ""),
            headers.get("x-fc-access-key-secret", ""),
            headers.get("x-fc-security-token", ""),
        )
        self.function = FunctionMeta(config.get("function", {}))
        self.service = ServiceMeta(config.get("service", {}))
        self.region = config.get("region", "")
        self.account_id = config.get("account_id", "")
        self.tracing = Tracing(
            headers.get("x-fc-tracing-opentracing-span-context", ""),
            headers.get("x-fc-tracing-jaeger-endpoint", ""),
            headers.get("x-fc-tracing-opentracing-span-baggages", ""),
        )
        self.retry_count = int(headers.get("x-fc-retry-count", "0") or 0)

    def getLogger(self):
        return logging.getLogger("fc.context")


class Context312:
    """Python 3.12 (FC 3.0) context: no ``credentials`` (use ALIBABA_CLOUD_* variables)."""

    def __init__(self, request_id, headers, config):
        service = config.get("service", {})
        self.request_id = request_id
        self.function = FunctionMeta312(config.get("function", {}), service)
        self.region = config.get("region", "")
        self.account_id = config.get("account_id", "")
        self.log_project = service.get("log_project", "")
        self.log_store = service.get("log_store", "")
        self.logger = logging.getLogger("fc.context")

    def getLogger(self):
        return self.logger


# --------------------------------------------------------------------------- the runtime


class UserCodeError(Exception):
    """A handler name that cannot be resolved (bad module, missing attribute)."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def error_document(exc):
    """FC's error body: ``{errorMessage, errorType, stackTrace: [[file, line, func, code], ...]}``."""
    error_type = getattr(exc, "error_type", None) or type(exc).__name__
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == _this_file or "importlib" in frame.filename:
            continue
        frames.append(
            [f'File "{frame.filename}"', f"line {frame.lineno}", f"in {frame.name}", frame.line or ""]
        )
    message = str(exc)
    if isinstance(exc, SystemExit):
        message = f"the function called sys.exit({exc.code})"
    return {"errorMessage": message, "errorType": error_type, "stackTrace": frames}


class Runtime:
    def __init__(self):
        self.config: dict[str, Any] = {}
        self.specialised = False
        self.mode = None
        self.relay_port = None
        self.child: subprocess.Popen[bytes] | None = None
        self._handlers: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- specialisation

    def specialise(self, config):
        if self.specialised:
            raise RuntimeError("this instance is already specialised")
        self.specialised = True
        self.config = config
        self.mode = config.get("mode", "python")
        env = config.get("env", {})
        os.environ.update({str(k): str(v) for k, v in env.items()})
        code_dir = config.get("code_dir", "/code")
        paths = [code_dir]
        extra = env.get("PYTHONPATH", "")
        paths.extend(p for p in extra.split(":") if p)
        version = "python{}.{}".format(*sys.version_info[:2])
        for opt in config.get("opt_dirs", []):
            paths.extend(
                [os.path.join(opt, "python"), os.path.join(opt, "python", "lib", version, "site-packages")]
            )
        for path in reversed(paths):
            if path not in sys.path:
                sys.path.insert(0, path)
        # FC's built-in libraries: after the standard library, before the interpreter's own
        # site-packages, so the function's packages win and nothing shadows the stdlib
        own = [i for i, p in enumerate(sys.path) if p.endswith("-packages") and p not in paths]
        site = own[0] if own else len(sys.path)
        for path in reversed(config.get("library_dirs") or []):
            if os.path.isdir(path) and path not in sys.path:
                sys.path.insert(site, path)
        try:
            os.chdir(code_dir)
        except OSError:
            pass
        if self.mode == "custom":
            self._start_custom(config)

    def _start_custom(self, config):
        command = list(config.get("command") or [])
        code_dir = config.get("code_dir", "/code")
        if not command:
            command = [os.path.join(code_dir, "bootstrap")]
        if not os.path.isabs(command[0]) and os.sep in command[0]:
            command[0] = os.path.join(code_dir, command[0])
        if os.path.isfile(command[0]) and not os.access(command[0], os.X_OK):
            command = _interpreter_for(command[0]) + command
        port = int(config.get("ca_port", 9000))
        import subprocess  # only custom runtimes need it: keeps idle Python instances small

        try:
            self.child = subprocess.Popen(
                command, cwd=code_dir, env=dict(os.environ), stdin=subprocess.DEVNULL
            )
        except OSError as exc:
            raise UserCodeError(
                "FunctionNotStarted", "cannot start {}: {}".format(" ".join(command), exc)
            ) from exc
        deadline = time.monotonic() + float(config.get("start_timeout", 120))
        delay = 0.002
        while True:
            code = self.child.poll()
            if code is not None:
                raise UserCodeError(
                    "FunctionNotStarted",
                    f"the custom runtime {' '.join(command)} exited with code {code} "
                    f"before listening on port {port}",
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise UserCodeError(
                        "FunctionNotStarted",
                        f"the custom runtime did not listen on port {port} within "
                        f"{config.get('start_timeout', 120)}s "
                        "(CA's http server cannot be started)",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        self.relay_port = port
        threading.Thread(target=self._exit_with_child, daemon=True).start()

    def _exit_with_child(self):
        assert self.child is not None
        code = self.child.wait()
        os._exit(code if code >= 0 else 128 - code)

    # -- handlers

    def resolve(self, name, what):
        with self._lock:
            cached = self._handlers.get(name)
            if cached is not None:
                return cached
            module_name, _, attr = name.rpartition(".")
            if not module_name or not attr:
                raise UserCodeError(
                    "InvalidHandler", f"{what} {name!r} must look like 'module.function' (e.g. index.handler)"
                )
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise UserCodeError(
                    type(exc).__name__, f"Unable to import module '{module_name}' for {what} {name!r}: {exc}"
                ).with_traceback(exc.__traceback__) from exc
            func = getattr(module, attr, None)
            if func is None or not callable(func):
                raise UserCodeError(
                    "HandlerNotFound", f"{what} {name!r}: module '{module_name}' has no callable '{attr}'"
                )
            self._handlers[name] = func
            return func

    def context(self, request_id, headers):
        cls = Context312 if self.config.get("runtime") == "python3.12" else Context
        return cls(request_id, headers, self.config)

    def convert_event(self, body):
        if self.mode == "python2":
            return body.decode("utf-8", "surrogateescape")
        return body

    def result_bytes(self, value):
        if value is None:
            return b""
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape" if self.mode == "python2" else "replace")
        if isinstance(value, (dict, list, tuple)):
            try:
                return json.dumps(value).encode("utf-8")
            except (TypeError, ValueError):
                return str(value).encode("utf-8", "replace")
        return str(value).encode("utf-8", "replace")

    # -- control paths

    def invoke(self, headers, body):
        request_id = headers.get("x-fc-request-id", "")
        with _RequestScope(request_id) as scope:
            scope.line(f"FC Invoke Start RequestId: {request_id}")
            try:
                handler = self.resolve(self.config.get("handler", ""), "handler")
                result = handler(self.convert_event(body), self.context(request_id, headers))
                response: tuple[int, dict[str, str], Any] = (200, {}, self.result_bytes(result))
            except BaseException as exc:  # noqa: B902 - a failing function never kills the runtime
                response = self._failure(exc, scope)
            scope.line(f"FC Invoke End RequestId: {request_id}")
        return _with_log(response, scope)

    def hook(self, headers, key, what, label):
        request_id = headers.get("x-fc-request-id", "")
        name = self.config.get(key) or ""
        with _RequestScope(request_id) as scope:
            if not name:
                return _with_log((200, {}, b""), scope)
            scope.line(f"FC {label} Start RequestId: {request_id}")
            try:
                hook = self.resolve(name, what)
                hook(self.context(request_id, headers))
                response: tuple[int, dict[str, str], Any] = (200, {}, b"")
            except BaseException as exc:  # noqa: B902
                response = self._failure(exc, scope)
            scope.line(f"FC {label} End RequestId: {request_id}")
        return _with_log(response, scope)

    def http_invoke(self, method, path, query, headers, header_list, body):
        request_id = headers.get("x-fc-request-id", "")
        params = {}
        if headers.get("x-fc-http-params"):
            try:
                params = json.loads(base64.b64decode(headers["x-fc-http-params"]))
            except ValueError:
                params = {}
        with _RequestScope(request_id) as scope:
            scope.line(f"FC Invoke Start RequestId: {request_id}")
            try:
                handler = self.resolve(self.config.get("handler", ""), "handler")
                context = self.context(request_id, headers)
                environ = _wsgi_environ(method, path, query, header_list, body, params, context)
                status, response_headers, chunks = _call_wsgi(handler, environ)
                response = (status, response_headers, chunks)
            except BaseException as exc:  # noqa: B902
                response = self._failure(exc, scope)
            scope.line(f"FC Invoke End RequestId: {request_id}")
        return _with_log(response, scope)

    def _failure(self, exc, scope):
        document = error_document(exc)
        try:
            scope.log.extend(
                ("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))).encode(
                    "utf-8", "replace"
                )
            )
        except Exception:
            pass
        headers = {"x-fc-status": "404", "x-fc-error-type": "UnhandledInvocationError"}
        if getattr(exc, "error_type", None) == "FunctionNotStarted":
            headers["x-fc-error-type"] = "FunctionNotStarted"
        return 404, headers, json.dumps(document).encode("utf-8")


def _interpreter_for(path):
    try:
        with open(path, "rb") as fh:
            first = fh.readline(256)
    except OSError:
        return ["/bin/sh"]
    if first.startswith(b"#!"):
        return first[2:].decode("utf-8", "replace").strip().split()
    return ["/bin/sh"]


def _with_log(response, scope):
    status, headers, body = response
    headers = dict(headers)
    headers[LOG_HEADER] = base64.b64encode(bytes(scope.log[-MAX_LOG_BYTES:])).decode("ascii")
    return status, headers, body


def _wsgi_environ(method, path, query, header_list, body, params, context):
    from urllib.parse import unquote

    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(params.get("path") or path),
        "QUERY_STRING": query,
        "SERVER_NAME": params.get("host", "localhost").split(":")[0] or "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": params.get("clientIP", "127.0.0.1"),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "fc.context": context,
        "fc.request_uri": params.get("requestURI") or (path + ("?" + query if query else "")),
    }
    for name, value in header_list:
        lower = name.lower()
        if lower.startswith("x-fc-") or lower in ("content-length", "connection"):
            continue
        if lower == "content-type":
            environ["CONTENT_TYPE"] = value
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = environ[key] + "," + value if key in environ else value
    if params.get("host"):
        environ["HTTP_HOST"] = params["host"]
    return environ


def _call_wsgi(app, environ):
    state: dict[str, Any] = {}

    def start_response(status, headers, exc_info=None):
        if exc_info and state.get("sent"):
            raise exc_info[1].with_traceback(exc_info[2])
        state["status"] = status
        state["headers"] = headers
        return lambda data: state.setdefault("written", []).append(data)

    iterable = app(environ, start_response)
    try:
        chunks = list(state.get("written", [])) + [
            bytes(c) if not isinstance(c, str) else c.encode("utf-8") for c in iterable
        ]
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if "status" not in state:
        raise RuntimeError("the WSGI handler returned without calling start_response")
    status = int(str(state["status"]).split(" ", 1)[0])
    headers: dict[str, str] = {}
    for name, value in state["headers"]:
        key = str(name)
        headers[key] = headers[key] + ", " + str(value) if key in headers else str(value)
    headers["x-fc-status"] = "200"
    return status, headers, b"".join(chunks)


# --------------------------------------------------------------------------- HTTP server


_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _send(conn, status, headers, body, close):
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    for name, value in headers.items():
        if name.lower() in ("content-length", "connection", "transfer-encoding"):
            continue
        lines.append("{}: {}".format(name, str(value).replace("\r", " ").replace("\n", " ")))
    lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body)


def _dispatch(runtime, method, target, headers, header_list, body):
    path, _, query = target.partition("?")
    if path == PING_PATH:
        return 200, {}, b"{}", False
    if path == SPECIALISE_PATH:
        try:
            runtime.specialise(json.loads(body))
        except BaseException as exc:  # noqa: B902
            document = error_document(exc)
            return (
                500,
                {"x-fc-error-type": getattr(exc, "error_type", "FunctionNotStarted")},
                json.dumps(document).encode("utf-8"),
                True,
            )
        return 200, {}, b"{}", True
    if not runtime.specialised:
        return 503, {}, b'{"errorMessage": "instance not specialised yet"}', False
    control = headers.get("x-fc-control-path", "/invoke")
    if control == "/invoke":
        status, out_headers, out = runtime.invoke(headers, body)
    elif control == "/http-invoke":
        status, out_headers, out = runtime.http_invoke(method, path, query, headers, header_list, body)
    elif control == "/initialize":
        status, out_headers, out = runtime.hook(headers, "initializer", "initializer", "Initialize")
    elif control == "/pre-stop":
        status, out_headers, out = runtime.hook(headers, "pre_stop", "preStop handler", "PreStop")
    elif control == "/pre-freeze":
        status, out_headers, out = runtime.hook(headers, "pre_freeze", "preFreeze handler", "PreFreeze")
    else:
        return 400, {}, (f'{{"errorMessage": "unknown control path {json.dumps(control)}"}}').encode(), False
    return status, out_headers, out, False


def _serve(runtime, conn):
    rfile = conn.makefile("rb", buffering=65536)
    try:
        while True:
            line = rfile.readline(65537)
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue
            parts = line.decode("latin-1").rstrip("\r\n").split(" ")
            if len(parts) < 2:
                return
            method, target = parts[0], parts[1]
            headers = {}
            header_list = []
            while True:
                raw = rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                name, value = name.strip(), value.strip()
                header_list.append((name, value))
                headers[name.lower()] = value
            length = int(headers.get("content-length", "0") or 0)
            body = rfile.read(length) if length else b""
            status, out_headers, out, close = _dispatch(runtime, method, target, headers, header_list, body)
            close = close or headers.get("connection", "").lower() == "close"
            _send(conn, status, out_headers, out, close)
            if close:
                return
    except (OSError, ValueError):
        return
    finally:
        try:
            rfile.close()
            conn.close()
        except OSError:
            pass


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _relay(conn, port):
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError:
        conn.close()
        return
    back = threading.Thread(target=_pump, args=(upstream, conn), daemon=True)
    back.start()
    _pump(conn, upstream)
    back.join()
    conn.close()
    upstream.close()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: python_bootstrap.py <unix socket path>\n")
        return 2
    socket_path = argv[1]
    try:
        os.unlink(socket_path)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(512)
    os.write(1, READY_LINE)
    _install_output_routing()
    runtime = Runtime()
    while True:
        conn, _ = server.accept()
        if runtime.relay_port is not None:
            threading.Thread(target=_relay, args=(conn, runtime.relay_port), daemon=True).start()
        else:
            threading.Thread(target=_serve, args=(runtime, conn), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
