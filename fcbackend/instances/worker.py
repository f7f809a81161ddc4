"""A worker process (generic, then specialised) and the :class:`Instance` it becomes.

Why: the sandbox and the process drivers both run the same bootstrap programs; a
:class:`Worker` owns one such process with its slot directory, its cgroup, its stdout/stderr pump
and its protocol client. :meth:`Worker.specialise` turns a generic worker into a
:class:`LocalInstance` of one function — that is the whole cold start when a worker is waiting in
the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from fcbackend.gpu.mounts import MountPlan
from fcbackend.instances import cold_start
from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.instances.cgroups import CgroupManager, InstanceCgroup, Limits, join_command
from fcbackend.instances.child import ChildProcess
from fcbackend.instances.driver import Instance, InstanceCrashed, InstanceStats
from fcbackend.instances.health import HealthMonitor, probe_once
from fcbackend.instances.launchers import PoolKey
from fcbackend.instances.slots import Slot
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse, InstanceStartError
from fcbackend.runtimes import runtime_info, specialisation
from fcbackend.runtimes.fc_contract import instance_vcpu

READY_LINE = b"\x00rosengine-ready\n"
SPECIALISE_PATH = "/__rosengine/specialise"
PING_PATH = "/__rosengine/ping"
MAX_BUFFERED_LOG = 1 << 20
MB = 1024 * 1024
log = logging.getLogger(__name__)


class Launcher(Protocol):
    name: str
    nvidia_root: str
    run_as: tuple[int, int] | None  # (uid, gid) functions run as; None: the backend's user
    # (host file, path inside) bound read-only into each instance: the gateway's CA bundle and
    # hosts file (fcbackend.instances.network); a plain process sees host paths and ignores them.
    network_binds: list[tuple[str, str]]

    def pool_key(self, spec: FunctionSpec) -> PoolKey: ...
    def command(
        self, key: PoolKey, slot: Slot, listen_fd: int, gpu: MountPlan | None = None
    ) -> list[str]: ...
    def paths(self, spec: FunctionSpec, slot: Slot) -> tuple[str, list[str], str]: ...
    def fill_slot(self, spec: FunctionSpec, slot: Slot) -> None: ...
    def add_read_only(self, path: Path) -> None: ...
    def describe(self) -> str: ...


class LogBuffer:
    """What a worker wrote to stdout/stderr outside of requests (bounded, oldest dropped)."""

    def __init__(self, limit: int = MAX_BUFFERED_LOG):
        self.limit = limit
        self.data = bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]

    def take(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


class Worker:
    def __init__(
        self,
        worker_id: str,
        key: PoolKey,
        slot: Slot,
        cgroup: InstanceCgroup | None,
        process: ChildProcess,
        launcher: Launcher,
    ):
        self.id = worker_id
        self.key = key
        self.slot = slot
        self.cgroup = cgroup
        # The CPU allowance of its start (set when it is specialised; see cold_start.py).
        self.cold_start: cold_start.ColdStartAllowance | None = None
        self.process = process
        self.launcher = launcher
        self.logs = LogBuffer()
        self.ready = asyncio.Event()
        self.exited = asyncio.Event()
        self.client = CaClient.unix(str(slot.socket))
        self.started = time.time()
        # A GPU worker's plan (its env reaches the function) and what gives the device back.
        self.gpu_plan: MountPlan | None = None
        self.on_destroy: list[Callable[[], None]] = []
        self._pump_task = asyncio.get_running_loop().create_task(self._pump())

    @classmethod
    async def launch(
        cls,
        worker_id: str,
        key: PoolKey,
        launcher: Launcher,
        slots_root: Path,
        cgroups: CgroupManager,
        generic_limits: Limits,
        ready_timeout_s: float = 30,
        gpu: MountPlan | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Worker:
        """Start a generic worker; ``gpu`` makes it a dedicated GPU worker (device binds + env);
        ``extra_env`` holds variables a runtime reads only when it starts (Node's
        ``NODE_EXTRA_CA_CERTS``), which specialisation would set too late."""
        slot = Slot.create(slots_root / worker_id)
        cgroup = cgroups.create(worker_id, generic_limits)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(extra_env or {})
        if gpu is not None:
            env = gpu.apply_env(env)
        try:
            with listening_socket(slot.socket) as listener:  # the worker holds it once started
                # off the event loop: the first worker of a disk size formats its template
                argv = await asyncio.to_thread(launcher.command, key, slot, listener.fileno(), gpu)
                argv = join_command(cgroup.procs_files if cgroup else [], argv)
                # Not asyncio.create_subprocess_exec: see fcbackend.instances.child for why one
                # owner must watch and reap the process.
                process = await ChildProcess.spawn(
                    argv, env=env, cwd=str(slot.root), pass_fds=(listener.fileno(),)
                )
        except BaseException as exc:
            if cgroup:
                cgroup.remove()
            slot.remove()
            if isinstance(exc, OSError):
                raise InstanceStartError(f"cannot start a {launcher.name} worker: {exc}") from exc
            raise
        worker = cls(worker_id, key, slot, cgroup, process, launcher)
        worker.gpu_plan = gpu
        try:
            await worker.wait_ready(ready_timeout_s)
        except BaseException:
            await worker.destroy()
            raise
        return worker

    async def wait_ready(self, timeout: float) -> None:
        ready = asyncio.ensure_future(self.ready.wait())
        exited = asyncio.ensure_future(self.exited.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
            exited.cancel()
        if self.ready.is_set():
            # Open the connection the specialisation will use and let the bootstrap start its
            # connection thread now, off the cold-start path.
            await self.client.request(
                InstanceRequest("GET", PING_PATH, control_path="/__ping"), timeout=timeout
            )
            return
        output = self.logs.take().decode("utf-8", "replace").strip()
        if not done:
            raise InstanceStartError(
                f"the {self.launcher.name} worker was not ready within {timeout}s: {output}"
            )
        raise InstanceStartError(
            f"the {self.launcher.name} worker exited before it was ready "
            f"(exit code {self.process.returncode}): {output[-2000:]}"
        )

    async def _pump(self) -> None:
        """Collect the worker's output until its pipe closes, then note the process's exit.

        Nothing is awaited once the pump is cancelled (the worker destroyed, the event loop
        ending): a ``finally`` that awaited the exit kept a cancelled pump — and the loop's
        shutdown or :meth:`destroy` with it — waiting for a process nobody was going to stop."""
        stream = self.process.stdout
        assert stream is not None
        pending = b""
        try:
            while True:
                chunk = await stream.read(65536)
                if not chunk:
                    break
                if not self.ready.is_set():
                    pending += chunk
                    index = pending.find(READY_LINE)
                    if index < 0:
                        if len(pending) > MAX_BUFFERED_LOG:
                            self.logs.add(pending)
                            pending = b""
                        continue
                    self.logs.add(pending[:index])
                    chunk = pending[index + len(READY_LINE) :]
                    pending = b""
                    self.ready.set()
                if chunk:
                    self.logs.add(chunk)
        except Exception:  # a pipe that breaks ends the output like one that closes
            log.debug("reading the output of worker %s failed", self.id, exc_info=True)
        finally:
            if pending:
                self.logs.add(pending)
        await self.process.wait()
        self.exited.set()

    def alive(self) -> bool:
        return self.process.returncode is None and not self.exited.is_set()

    async def specialise(
        self,
        spec: FunctionSpec,
        instance_id: str,
        *,
        pids_max: int | None,
        start_timeout_s: float,
        library_dirs: list[str] | None = None,
    ) -> LocalInstance:
        if not self.alive():
            raise InstanceStartError("the pre-started worker is gone")
        info = runtime_info(spec.runtime)
        self.launcher.fill_slot(spec, self.slot)
        if self.cgroup is not None:
            limits = Limits(memory_bytes=spec.memory_mb * MB, cpu=instance_vcpu(spec), pids=pids_max)
            self.cgroup.set_limits(cold_start.starting_limits(limits))
            self.cold_start = cold_start.ColdStartAllowance(self.cgroup, limits)
            self.cgroup.reset_peak()
        elif info.bootstrap == "python" and info.mode != "custom":
            _limit_address_space(self.process.pid, spec)
        code_dir, opt_dirs, tmp_dir = self.launcher.paths(spec, self.slot)
        config = specialisation(
            spec, instance_id, code_dir=code_dir, opt_dirs=opt_dirs, start_timeout_s=start_timeout_s
        )
        config["library_dirs"] = list(library_dirs or [])
        if self.gpu_plan is not None:
            config["env"] = self.gpu_plan.apply_env(config["env"])
        if tmp_dir != "/tmp":
            config["env"]["TMPDIR"] = tmp_dir
            config["env"]["HOME"] = tmp_dir
        request = InstanceRequest(
            "POST",
            SPECIALISE_PATH,
            {"Content-Type": "application/json"},
            json.dumps(config).encode(),
            control_path="/__specialise",
        )
        try:
            response = await self.client.request(request, timeout=start_timeout_s + 5, close_after=True)
        except TimeoutError as exc:
            raise InstanceStartError(f"the instance did not start within {start_timeout_s}s") from exc
        except ConnectionLost as exc:
            await self._wait_exit(1.0)
            raise InstanceStartError(
                f"the instance died while starting: {self.logs.take().decode(errors='replace')}"
            ) from exc
        if response.status != 200:
            try:
                message = json.loads(response.body).get("errorMessage", "")
            except ValueError:
                message = response.body.decode("utf-8", "replace")
            error_type = response.headers.get("x-fc-error-type", "FunctionNotStarted")
            raise InstanceStartError(message or "the instance failed to start", error_type)
        instance = LocalInstance(instance_id, self, spec)
        if spec.health_check is not None and info.mode == "custom":
            await instance.start_health_checks(time.monotonic() + start_timeout_s)
        return instance

    async def _wait_exit(self, timeout: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
            await asyncio.wait_for(self.exited.wait(), timeout)

    def crash_reason(self, spec: FunctionSpec | None) -> InstanceCrashed:
        code = self.process.returncode
        oom = self.cgroup is not None and self.cgroup.oom_kills() > 0
        if oom:
            limit = f" of {spec.memory_mb} MB" if spec else ""
            return InstanceCrashed(
                f"the function exceeded its memory limit{limit} and the instance was killed (out of memory)",
                oom=True,
                exit_code=code,
            )
        if code is None:
            return InstanceCrashed("the instance closed the connection unexpectedly", exit_code=code)
        if code < 0:
            return InstanceCrashed(
                f"the instance was killed by signal {-code} ({_signal_name(-code)})", exit_code=code
            )
        if code > 128:
            return InstanceCrashed(
                f"the instance was killed by signal {code - 128} ({_signal_name(code - 128)})", exit_code=code
            )
        return InstanceCrashed(f"the instance exited unexpectedly with code {code}", exit_code=code)

    async def destroy(self) -> None:
        """Kill everything the worker started and remove its cgroup and slot."""
        if self.cold_start is not None:
            self.cold_start.cancel()
        await self.client.close()
        if self.cgroup is not None:
            self.cgroup.kill_all()
        self.process.signal_group(signal.SIGKILL)
        self.process.kill()
        await self._wait_exit(5.0)
        if not self._pump_task.done():
            self._pump_task.cancel()
            await asyncio.wait({self._pump_task})  # our own cancellation still reaches us
        self.process.close()
        if self.cgroup is not None:
            for _ in range(50):
                if self.cgroup.remove():
                    break
                self.cgroup.kill_all()
                await asyncio.sleep(0.01)  # the kernel finishes tearing down killed tasks
        self.slot.remove()
        callbacks, self.on_destroy = self.on_destroy, []
        for callback in callbacks:
            callback()


def listening_socket(path: Path) -> socket.socket:
    """The worker's Unix socket, bound and listening before the worker starts; the bootstrap
    inherits it (``--fd N``). Why the backend makes it: a bootstrap that had to create its
    socket would need a directory it can write that the host can see, and that directory would
    be a disk without a bound."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        sock.listen(512)
    except BaseException:
        sock.close()
        raise
    return sock


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def _limit_address_space(pid: int, spec: FunctionSpec) -> None:
    """Without cgroups, cap the Python worker's address space (memory + interpreter + thread stacks)."""
    limit = (spec.memory_mb + 256) * MB + spec.instance_concurrency * 8 * MB
    with contextlib.suppress(OSError, ValueError, AttributeError):
        resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))


class LocalInstance(Instance):
    """A specialised worker serving one function version.

    Custom runtimes with a ``CustomHealthCheckConfig`` get a :class:`HealthMonitor`
    (docs/reference/fc-runtime.md#health-checks, #responses-and-errors): start-up waits for
    ``SuccessThreshold`` passes, then a probe runs every ``PeriodSeconds`` and ``FailureThreshold`` failures
    in a row make :attr:`healthy` False for good — the scheduler then sends no new requests and replaces the
    instance. A probe is ``GET <HttpGetUrl>`` on a fresh connection to the instance's socket, which the
    bootstrap relays to the user's server inside the sandbox, exactly like a request.
    """

    def __init__(self, instance_id: str, worker: Worker, spec: FunctionSpec):
        self.id = instance_id
        self.driver_name = worker.launcher.name
        self.worker = worker
        self.spec = spec
        self._frozen = False
        self.gpu_assignment: object | None = None  # fcbackend.gpu.GpuAssignment of a GPU instance
        self.health: HealthMonitor | None = None

    async def start_health_checks(self, deadline: float) -> None:
        """Wait for the start-up passes, then begin the periodic checks; raise
        :class:`InstanceStartError` when the worker dies or ``deadline`` passes first."""
        check = self.spec.health_check
        assert check is not None
        self.health = HealthMonitor(check, self._probe, on_unhealthy=self._on_unhealthy)
        ready = asyncio.ensure_future(self.health.wait_ready(deadline))
        exited = asyncio.ensure_future(self.worker.exited.wait())
        try:
            await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
        if not ready.done():
            ready.cancel()
            output = self.worker.logs.take().decode("utf-8", "replace").strip()
            raise InstanceStartError(
                f"the custom runtime of {self.spec.service}/{self.spec.function} exited (code "
                f"{self.worker.process.returncode}) before its health check GET {check.http_get_url} passed"
                + (f"; last output:\n{output[-2000:]}" if output else "")
            )
        if not ready.result():
            raise InstanceStartError(
                f"The CA's http server cannot be started: health check GET {check.http_get_url} did not pass "
                f"within the start-up deadline for {self.spec.service}/{self.spec.function}"
            )
        self.health.start()

    async def _probe(self, path: str, timeout: float) -> bool:
        return await probe_once(CaClient.unix(str(self.worker.slot.socket)), path, timeout)

    def _on_unhealthy(self) -> None:
        """Replacement is the scheduler's job (it sees ``healthy`` False); the backend's log and
        the instance's own output say why it went away."""
        check = self.spec.health_check
        what = (
            f"GET {check.http_get_url} failed {check.failure_threshold} times in a row" if check else "failed"
        )
        log.warning(
            "instance %s of %s/%s is unhealthy (%s); it gets no new requests and is replaced",
            self.id,
            self.spec.service,
            self.spec.function,
            what,
        )
        self.worker.logs.add(
            f"rosengine: instance {self.id} failed its health check ({what}); "
            "it gets no new requests and is replaced\n".encode()
        )

    @property
    def healthy(self) -> bool:
        return self.alive() and (self.health is None or self.health.healthy)

    @property
    def pid(self) -> int:
        return self.worker.process.pid

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        try:
            return await self.worker.client.request(req, timeout=timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"no response within {timeout}s") from exc
        except ConnectionLost as exc:
            await self.worker._wait_exit(2.0)
            raise self.worker.crash_reason(self.spec) from exc
        finally:
            allowance = self.worker.cold_start
            if allowance is not None and allowance.active and req.control_path != "/initialize":
                allowance.end()  # the first request is answered: the function's share from now on

    async def stop(self, graceful: bool = True) -> None:
        if self.health is not None:
            await self.health.stop()
        await self.worker.destroy()

    def alive(self) -> bool:
        return self.worker.alive()

    def stats(self) -> InstanceStats:
        group = self.worker.cgroup
        if group is not None:
            return InstanceStats(
                memory_peak_bytes=group.memory_peak(),
                memory_current_bytes=group.memory_current(),
                cpu_seconds=group.cpu_seconds(),
            )
        peak, current = _proc_memory(self.worker.process.pid)
        return InstanceStats(memory_peak_bytes=peak, memory_current_bytes=current)

    def memory_peak_bytes(self) -> int:
        group = self.worker.cgroup
        if group is not None:
            return group.memory_peak()  # one cgroup file instead of the three stats() reads
        return _proc_memory(self.worker.process.pid)[0]

    def reset_peak(self) -> None:
        if self.worker.cgroup is not None:
            self.worker.cgroup.reset_peak()

    async def freeze(self) -> bool:
        group = self.worker.cgroup
        if group is not None and group.freeze():
            self._frozen = True
            return True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.worker.process.pid, signal.SIGSTOP)
            self._frozen = True
            return True
        return False

    async def thaw(self) -> None:
        if not self._frozen:
            return
        group = self.worker.cgroup
        if group is not None:
            group.thaw()
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.worker.process.pid, signal.SIGCONT)
        self._frozen = False

    def take_logs(self) -> bytes:
        return self.worker.logs.take()

    def ca_client(self) -> CaClient:
        return self.worker.client


def _proc_memory(pid: int) -> tuple[int, int]:
    peak = current = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
            elif line.startswith("VmRSS:"):
                current = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return peak, current
