"""Place GPU functions on devices by GPU memory.

FC sells GPU instances by *GPU memory* (``GpuMemorySize``, MB, a multiple of 1024) on a card family
(``InstanceType`` / ``GpuConfig.GpuType``). Locally we honour the memory figure: each device has a
budget equal to its total memory, every instance reserves its ``gpuMemorySize`` there, and
instances share a device while the sum fits. This is accounting, not enforcement: CUDA does not
let us cap one process's memory, exactly as FC's own sharing relies on the image being honest.

Choices (FC documents none of these details; see docs/reference/fc-runtime.md#limits):

* The card family is not matched against the local card's model: a local machine rarely has a T4,
  an A10 and an L20. The family only gives the default memory when ``GpuMemorySize`` is absent
  (the whole card: tesla 16 GB, ampere 24 GB, ada 48 GB; ``g1`` is tesla).
* Best fit: the device with the least free memory that still fits gets the instance, which keeps
  whole cards free for large requests.
* No GPU at all -> ``FunctionNotStarted`` (retrying will not help); GPUs present but none with
  room -> ``ResourceExhausted`` naming the memory asked and the most any device has free (retrying
  later may help). Either way nothing is reserved: the allocation is all or nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from fcbackend.gpu.devices import GpuDevice, discover
from fcbackend.instances.driver import InstanceStartError
from fcbackend.models import GpuRequest

# Card memory per FC GPU instance family, MB (our assumption: docs/reference/fc-runtime.md#limits).
GPU_INSTANCE_TYPE_MEMORY_MB: dict[str, int] = {
    "fc.gpu.tesla.1": 16 * 1024,
    "fc.gpu.ampere.1": 24 * 1024,
    "fc.gpu.ada.1": 48 * 1024,
    "g1": 16 * 1024,
}

NO_GPU_ERROR = "FunctionNotStarted"
NO_ROOM_ERROR = "ResourceExhausted"


def is_gpu_instance_type(instance_type: str | None) -> bool:
    return bool(instance_type) and (
        instance_type in GPU_INSTANCE_TYPE_MEMORY_MB or str(instance_type).startswith("fc.gpu.")
    )


def requested_memory_mb(request: GpuRequest) -> int:
    """The GPU memory an instance reserves: ``gpuMemorySize`` or, when it is 0/absent, the whole
    card of its instance family (16 GB when the family is unknown)."""
    if request.memory_mb > 0:
        return request.memory_mb
    return GPU_INSTANCE_TYPE_MEMORY_MB.get(request.instance_type, 16 * 1024)


@dataclass(frozen=True)
class GpuAssignment:
    """GPU memory reserved on one device for one instance; give it back with
    :meth:`GpuAllocator.release`."""

    instance_id: str
    device: GpuDevice
    memory_mb: int


class GpuAllocator:
    """Per-device GPU memory bookkeeping, thread-safe. ``devices`` defaults to the machine's GPUs;
    tests pass a simulated inventory."""

    def __init__(self, devices: Iterable[GpuDevice] | None = None):
        # None: this machine's GPUs, discovered on first use, so a backend that never runs a GPU
        # function never loads NVML or starts nvidia-smi.
        self._given: tuple[GpuDevice, ...] | None = None if devices is None else tuple(devices)
        self._assignments: dict[str, GpuAssignment] = {}
        self._lock = threading.Lock()

    @property
    def _devices(self) -> tuple[GpuDevice, ...]:
        if self._given is None:
            self._given = tuple(discover())
        return self._given

    @property
    def devices(self) -> tuple[GpuDevice, ...]:
        return self._devices

    def free_mb(self, device: GpuDevice) -> int:
        with self._lock:
            return self._free_locked(device)

    def _free_locked(self, device: GpuDevice) -> int:
        used = sum(a.memory_mb for a in self._assignments.values() if a.device.uuid == device.uuid)
        return device.memory_total_mb - used

    def allocate(self, instance_id: str, request: GpuRequest, *, function: str = "") -> GpuAssignment:
        """Reserve memory for ``instance_id`` or raise :class:`InstanceStartError` (nothing
        reserved). Allocating twice for one instance returns the existing assignment."""
        wanted = requested_memory_mb(request)
        what = f"function {function!r}" if function else "the function"
        kind = f"instance type {request.instance_type}, " if request.instance_type else ""
        with self._lock:
            existing = self._assignments.get(instance_id)
            if existing is not None:
                return existing
            if not self._devices:
                raise InstanceStartError(
                    f"{what} needs a GPU ({kind}{wanted} MB GPU memory) but no NVIDIA GPU was found on "
                    "this machine (NVML and nvidia-smi found none); run it where a GPU and the NVIDIA "
                    "driver are installed",
                    NO_GPU_ERROR,
                )
            largest = max(d.memory_total_mb for d in self._devices)
            if wanted > largest:
                raise InstanceStartError(
                    f"{what} asks for {wanted} MB GPU memory ({kind.rstrip(', ') or 'GpuMemorySize'}) but "
                    f"the largest GPU here has {largest} MB",
                    NO_GPU_ERROR,
                )
            fitting = [(self._free_locked(d), d) for d in self._devices if self._free_locked(d) >= wanted]
            if not fitting:
                most_free = max(self._free_locked(d) for d in self._devices)
                raise InstanceStartError(
                    f"GPU memory exhausted: {what} asks for {wanted} MB GPU memory but the most any of "
                    f"the {len(self._devices)} GPU(s) has free is {most_free} MB; retry when an instance "
                    "has stopped",
                    NO_ROOM_ERROR,
                )
            _, device = min(fitting, key=lambda pair: (pair[0], pair[1].index))
            assignment = GpuAssignment(instance_id=instance_id, device=device, memory_mb=wanted)
            self._assignments[instance_id] = assignment
            return assignment

    def release(self, instance_id: str) -> None:
        """Give back an instance's reservation; unknown ids are ignored (stop is idempotent)."""
        with self._lock:
            self._assignments.pop(instance_id, None)

    def assignments(self) -> list[GpuAssignment]:
        with self._lock:
            return list(self._assignments.values())

    def usage(self) -> list[dict[str, object]]:
        """Per-device figures for listings: index, uuid, name, total, reserved, free, instances."""
        with self._lock:
            rows = []
            for device in self._devices:
                held = [a for a in self._assignments.values() if a.device.uuid == device.uuid]
                reserved = sum(a.memory_mb for a in held)
                rows.append(
                    {
                        "index": device.index,
                        "uuid": device.uuid,
                        "name": device.name,
                        "memoryTotalMB": device.memory_total_mb,
                        "memoryReservedMB": reserved,
                        "memoryFreeMB": device.memory_total_mb - reserved,
                        "instances": sorted(a.instance_id for a in held),
                    }
                )
            return rows
