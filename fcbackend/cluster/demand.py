"""What an instance needs from a node, and what a node has left.

Why here and not in Ray's own resource accounting: asking Ray to reserve resources per instance
means one actor (or placement group) per instance, hundreds of milliseconds of a cold start.
The node agent admits instances against its node's totals itself (one decision per node, so
several API processes never over-commit it), and the API process keeps the agents' last answers
to try the node most likely to fit first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fcbackend.gpu.placement import requested_memory_mb
from fcbackend.instances.local_driver import gpu_request
from fcbackend.models import FunctionSpec
from fcbackend.runtimes.fc_contract import instance_vcpu

# The Ray custom resource a node declares for its GPU memory (``ray start --resources``):
# FC sizes GPU functions by GPU memory (gpuMemorySize), which Ray does not know by itself.
GPU_MEMORY_RESOURCE = "gpu_memory_mb"
_MB = 1024 * 1024


@dataclass(frozen=True)
class Capacity:
    """Resources of a node (all of them, or what is left). ``gpus`` counts whole cards."""

    cpu: float = 0.0
    memory_mb: int = 0
    gpus: int = 0
    gpu_memory_mb: int = 0

    @classmethod
    def of_ray_resources(cls, resources: dict[str, Any]) -> Capacity:
        """A node's totals as Ray announces them (``memory`` in bytes)."""
        return cls(
            cpu=float(resources.get("CPU", 0.0)),
            memory_mb=int(float(resources.get("memory", 0.0)) // _MB),
            gpus=int(float(resources.get("GPU", 0.0))),
            gpu_memory_mb=int(float(resources.get(GPU_MEMORY_RESOURCE, 0.0))),
        )

    def plus(self, demand: Demand) -> Capacity:
        return Capacity(
            self.cpu + demand.cpu,
            self.memory_mb + demand.memory_mb,
            self.gpus + demand.gpus,
            self.gpu_memory_mb + demand.gpu_memory_mb,
        )

    def minus(self, demand: Demand) -> Capacity:
        return Capacity(
            self.cpu - demand.cpu,
            self.memory_mb - demand.memory_mb,
            self.gpus - demand.gpus,
            self.gpu_memory_mb - demand.gpu_memory_mb,
        )

    def describe(self) -> str:
        text = f"{self.cpu:g} vCPU, {self.memory_mb} MB"
        if self.gpus or self.gpu_memory_mb:
            text += f", {self.gpus} GPU, {self.gpu_memory_mb} MB GPU memory"
        return text


@dataclass(frozen=True)
class Demand:
    """What one instance of a function takes from its node while it lives."""

    cpu: float
    memory_mb: int
    gpus: int = 0  # whole cards (a GPU instance type without gpuMemorySize takes one)
    gpu_memory_mb: int = 0
    needs_gpu: bool = False

    @classmethod
    def of(cls, spec: FunctionSpec) -> Demand:
        gpu = gpu_request(spec)
        if gpu is None:
            return cls(cpu=instance_vcpu(spec), memory_mb=spec.memory_mb)
        return cls(
            cpu=instance_vcpu(spec),
            memory_mb=spec.memory_mb,
            gpus=1 if gpu.memory_mb <= 0 else 0,
            gpu_memory_mb=requested_memory_mb(gpu),
            needs_gpu=True,
        )

    def fits(self, free: Capacity, total: Capacity) -> bool:
        """Whether a node with ``total`` resources, ``free`` of them unused, can take it now."""
        if self.needs_gpu and total.gpus <= 0:
            return False
        left = free.minus(self)
        return left.cpu >= -1e-9 and left.memory_mb >= 0 and left.gpus >= 0 and left.gpu_memory_mb >= 0

    def possible(self, total: Capacity) -> bool:
        """Whether a node of this size could ever take it (even empty)."""
        return self.fits(total, total)

    def describe(self) -> str:
        text = f"{self.cpu:g} vCPU, {self.memory_mb} MB"
        if self.needs_gpu:
            text += f", GPU memory {self.gpu_memory_mb} MB" + (" (a whole card)" if self.gpus else "")
        return text
