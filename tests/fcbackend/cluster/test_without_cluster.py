"""Without ``--cluster`` nothing changes: the backend never loads Ray (it is large and slow to
import), and what a node needs is computed from the function alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fcbackend.cluster.demand import Capacity, Demand
from fcbackend.models import FunctionSpec, GpuRequest
from tests.support.paths import REPO


def test_a_backend_without_cluster_never_imports_ray(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from fcbackend.backend_config import BackendConfig\n"
        "from fcbackend.composition import create_app\n"
        f"create_app(BackendConfig.for_state_dir({str(tmp_path / 'fc')!r}))\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _spec(**fields: object) -> FunctionSpec:
    return FunctionSpec(
        service="s", function="f", version_id="LATEST", qualifier="LATEST", runtime="python3",
        handler="index.handler", code_dir=None, **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_cpu_function_needs_memory_and_its_share_of_a_cpu() -> None:
    demand = Demand.of(_spec(memory_mb=2048))
    assert (demand.cpu, demand.memory_mb, demand.needs_gpu) == (1.0, 2048, False)
    node = Capacity(cpu=4, memory_mb=4096)
    assert demand.fits(node, node)
    assert not demand.fits(node.minus(demand).minus(Demand(cpu=0.1, memory_mb=1)), node)


def test_a_gpu_function_fits_only_a_node_with_gpus_and_the_gpu_memory() -> None:
    card = Demand.of(_spec(instance_type="fc.gpu.tesla.1", memory_mb=1024))
    share = Demand.of(_spec(gpu=GpuRequest(memory_mb=4096), memory_mb=1024))
    assert (card.gpus, card.gpu_memory_mb) == (1, 16384)
    assert (share.gpus, share.gpu_memory_mb) == (0, 4096)
    cpu_node = Capacity(cpu=4, memory_mb=8192)
    gpu_node = Capacity(cpu=4, memory_mb=8192, gpus=2, gpu_memory_mb=2 * 16384)
    assert not card.possible(cpu_node) and not share.possible(cpu_node)
    assert card.fits(gpu_node, gpu_node) and share.fits(gpu_node, gpu_node)
    both_cards_taken = gpu_node.minus(card).minus(card)
    assert not card.fits(both_cards_taken, gpu_node)
