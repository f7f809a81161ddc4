"""GPU discovery, per-device memory placement and passthrough plans for GPU functions.

``discover()`` lists the machine's NVIDIA GPUs; a :class:`GpuAllocator` places an instance's
``gpuMemorySize`` on a device with room (or raises ``InstanceStartError``); ``mount_plan()`` says
what a sandbox must bind and set to reach the assigned device.
"""

from fcbackend.gpu.devices import GpuDevice, discover, discovery_method, parse_nvidia_smi_csv
from fcbackend.gpu.mounts import MountPlan, find_driver_libraries, mount_plan, parse_ldconfig
from fcbackend.gpu.placement import (
    GPU_INSTANCE_TYPE_MEMORY_MB,
    GpuAllocator,
    GpuAssignment,
    is_gpu_instance_type,
    requested_memory_mb,
)

__all__ = [
    "GPU_INSTANCE_TYPE_MEMORY_MB",
    "GpuAllocator",
    "GpuAssignment",
    "GpuDevice",
    "MountPlan",
    "discover",
    "discovery_method",
    "find_driver_libraries",
    "is_gpu_instance_type",
    "mount_plan",
    "parse_ldconfig",
    "parse_nvidia_smi_csv",
    "requested_memory_mb",
]
