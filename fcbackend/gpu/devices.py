"""Find the NVIDIA GPUs of this machine.

Why two ways: NVML (``libnvidia-ml.so.1``, loaded with ctypes) answers in microseconds and needs no
process; it is the library ``nvidia-smi`` itself wraps. Where the library cannot be loaded (a
container without the driver's libraries mounted, an unusual install) the ``nvidia-smi`` CSV query
still works. A machine with neither has no usable GPU, which is a normal answer (empty list), not
an error: GPU functions then fail to start with a clear message (see :mod:`fcbackend.gpu.placement`).

Discovery runs once per process (:func:`discover` caches); tests inject devices instead.
"""

from __future__ import annotations

import ctypes
import functools
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class GpuDevice:
    """One physical GPU. ``index`` is the driver's index (``/dev/nvidia<index>`` minor number on
    ordinary installs); ``uuid`` (``GPU-...``) is what CUDA_VISIBLE_DEVICES and Docker accept and
    does not depend on enumeration order."""

    index: int
    uuid: str
    name: str
    memory_total_mb: int
    minor_number: int | None = None

    @property
    def device_node(self) -> str:
        minor = self.index if self.minor_number is None else self.minor_number
        return f"/dev/nvidia{minor}"


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


_NVML_SUCCESS = 0


def _nvml_devices() -> list[GpuDevice] | None:
    """Devices via NVML, or None when NVML cannot be loaded or initialised."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return None
    init = getattr(nvml, "nvmlInit_v2", None) or getattr(nvml, "nvmlInit", None)
    if init is None or init() != _NVML_SUCCESS:
        return None
    try:
        count = ctypes.c_uint()
        if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) != _NVML_SUCCESS:
            return None
        devices: list[GpuDevice] = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) != _NVML_SUCCESS:
                continue
            name = ctypes.create_string_buffer(96)
            uuid = ctypes.create_string_buffer(96)
            memory = _NvmlMemory()
            minor = ctypes.c_uint()
            nvml.nvmlDeviceGetName(handle, name, 96)
            nvml.nvmlDeviceGetUUID(handle, uuid, 96)
            nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory))
            has_minor = nvml.nvmlDeviceGetMinorNumber(handle, ctypes.byref(minor)) == _NVML_SUCCESS
            devices.append(
                GpuDevice(
                    index=index,
                    uuid=uuid.value.decode(errors="replace"),
                    name=name.value.decode(errors="replace"),
                    memory_total_mb=memory.total // (1024 * 1024),
                    minor_number=minor.value if has_minor else None,
                )
            )
        return devices
    finally:
        nvml.nvmlShutdown()


def parse_nvidia_smi_csv(text: str) -> list[GpuDevice]:
    """Parse ``nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits``
    output. Lines that do not have four fields or numeric index/memory are skipped."""
    devices = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 4:
            continue
        index, uuid, name, memory = parts
        try:
            devices.append(
                GpuDevice(index=int(index), uuid=uuid, name=name, memory_total_mb=int(float(memory)))
            )
        except ValueError:
            continue
    return devices


def _nvidia_smi_devices() -> list[GpuDevice] | None:
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, "--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return parse_nvidia_smi_csv(done.stdout)


@functools.cache
def discover() -> tuple[GpuDevice, ...]:
    """The GPUs of this machine (NVML first, then nvidia-smi); empty when there are none."""
    found = _nvml_devices()
    if not found:
        found = _nvidia_smi_devices()
    return tuple(found or ())


def discovery_method() -> str:
    """Which way :func:`discover` would succeed here ("nvml", "nvidia-smi" or "none"), for
    diagnostics (``ros fc images list`` prints it)."""
    if _nvml_devices():
        return "nvml"
    if _nvidia_smi_devices():
        return "nvidia-smi"
    return "none"
