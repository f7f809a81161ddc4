"""GPU discovery parsing, placement by GPU memory and the sandbox mount plan, on a simulated device
inventory; plus one real-GPU test (marked ``gpu``) that runs where nvidia-smi works."""

from __future__ import annotations

import subprocess

import pytest

from fcbackend.gpu import (
    GpuAllocator,
    GpuDevice,
    discover,
    mount_plan,
    parse_ldconfig,
    parse_nvidia_smi_csv,
    requested_memory_mb,
)
from fcbackend.models import GpuRequest, InstanceStartError

A10 = GpuDevice(index=0, uuid="GPU-aaaa", name="NVIDIA A10", memory_total_mb=24576)
T4 = GpuDevice(index=1, uuid="GPU-bbbb", name="Tesla T4", memory_total_mb=16384)


def test_parse_nvidia_smi_csv_skips_malformed_lines():
    text = "0, GPU-1234, NVIDIA H100 80GB HBM3, 81559\nNo devices were found\n1, GPU-5678, Tesla T4, 15360\n"
    assert parse_nvidia_smi_csv(text) == [
        GpuDevice(0, "GPU-1234", "NVIDIA H100 80GB HBM3", 81559),
        GpuDevice(1, "GPU-5678", "Tesla T4", 15360),
    ]


def test_instances_share_a_device_while_memory_allows_then_best_fit():
    allocator = GpuAllocator([A10, T4])
    first = allocator.allocate("i1", GpuRequest(memory_mb=12288))
    assert first.device == T4  # best fit: the smaller card that fits, keeping the A10 whole
    second = allocator.allocate("i2", GpuRequest(memory_mb=4096))
    assert second.device == T4 and allocator.free_mb(T4) == 0  # shared
    third = allocator.allocate("i3", GpuRequest(memory_mb=20480))
    assert third.device == A10
    assert allocator.allocate("i1", GpuRequest(memory_mb=12288)) is first  # idempotent per instance


def test_no_room_is_a_resource_error_naming_asked_and_available_and_reserves_nothing():
    allocator = GpuAllocator([A10])
    allocator.allocate("i1", GpuRequest(memory_mb=16384))
    with pytest.raises(InstanceStartError) as failed:
        allocator.allocate(
            "i2", GpuRequest(memory_mb=12288, instance_type="fc.gpu.ampere.1"), function="svc/fn"
        )
    assert failed.value.error_type == "ResourceExhausted"
    assert (
        "12288 MB" in failed.value.message
        and "8192 MB" in failed.value.message
        and "svc/fn" in failed.value.message
    )
    assert [a.instance_id for a in allocator.assignments()] == ["i1"]
    allocator.release("i1")
    allocator.release("i1")  # idempotent
    assert allocator.allocate("i2", GpuRequest(memory_mb=12288)).device == A10


def test_no_gpu_and_too_large_requests_fail_with_clear_messages():
    with pytest.raises(InstanceStartError) as none:
        GpuAllocator([]).allocate("i", GpuRequest(memory_mb=4096, instance_type="fc.gpu.tesla.1"))
    assert none.value.error_type == "FunctionNotStarted" and "no NVIDIA GPU" in none.value.message
    with pytest.raises(InstanceStartError) as too_big:
        GpuAllocator([T4]).allocate("i", GpuRequest(memory_mb=32768))
    assert "largest GPU here has 16384 MB" in too_big.value.message


def test_instance_type_gives_the_default_memory():
    assert requested_memory_mb(GpuRequest(memory_mb=0, instance_type="fc.gpu.ada.1")) == 49152
    assert requested_memory_mb(GpuRequest(memory_mb=0, instance_type="g1")) == 16384
    assert requested_memory_mb(GpuRequest(memory_mb=2048, instance_type="fc.gpu.ada.1")) == 2048
    usage = GpuAllocator([A10])
    usage.allocate("i", GpuRequest(memory_mb=0, instance_type="fc.gpu.tesla.1"))
    assert usage.usage()[0]["memoryReservedMB"] == 16384 and usage.usage()[0]["instances"] == ["i"]


def test_parse_ldconfig_keeps_64_bit_driver_libraries_only():
    text = (
        "\t1234 libs found in cache `/etc/ld.so.cache'\n"
        "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n"
        "\tlibnvidia-ml.so.1 (libc6) => /usr/lib/i386-linux-gnu/libnvidia-ml.so.1\n"
        "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n"
        "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n"
    )
    assert parse_ldconfig(text) == [
        "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
    ]


def test_mount_plan_binds_only_the_assigned_device_and_sets_the_environment():
    allocator = GpuAllocator([A10, T4])
    allocator.allocate("big", GpuRequest(memory_mb=20000))
    assignment = allocator.allocate("i", GpuRequest(memory_mb=8192))
    assert assignment.device == T4
    present = {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia1"}
    plan = mount_plan(
        assignment,
        libraries=["/usr/lib/x86_64-linux-gnu/libcuda.so.1"],
        binaries=["/usr/bin/nvidia-smi"],
        exists=present.__contains__,
    )
    assert plan.devices == ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia1"]  # not /dev/nvidia0
    assert ("/dev/nvidia1", "/dev/nvidia1", False) in plan.binds
    assert (
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
        "/usr/local/nvidia/lib64/libcuda.so.1",
        True,
    ) in plan.binds
    assert ("/usr/bin/nvidia-smi", "/usr/local/nvidia/bin/nvidia-smi", True) in plan.binds
    assert plan.env["CUDA_VISIBLE_DEVICES"] == plan.env["NVIDIA_VISIBLE_DEVICES"] == "GPU-bbbb"
    merged = plan.apply_env({"PATH": "/usr/bin", "LD_LIBRARY_PATH": "/code/lib", "HOME": "/tmp"})
    assert merged["PATH"] == "/usr/local/nvidia/bin:/usr/bin"
    assert merged["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64:/code/lib" and merged["HOME"] == "/tmp"


@pytest.mark.gpu
def test_real_gpu_discovery_placement_and_mount_plan():
    devices = discover()
    assert devices, "nvidia-smi works but discovery found no GPU"
    listed = subprocess.run(
        ["nvidia-smi", "--query-gpu=uuid", "--format=csv,noheader"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(d.uuid for d in devices) == sorted(listed)
    allocator = GpuAllocator()
    assignment = allocator.allocate("real", GpuRequest(memory_mb=1024, instance_type="fc.gpu.ampere.1"))
    plan = mount_plan(assignment)
    assert assignment.device.device_node in plan.devices and "/dev/nvidiactl" in plan.devices
    assert any(dst.endswith("libcuda.so.1") or "libnvidia-ml" in dst for _, dst, _ in plan.binds)
    assert plan.env["CUDA_VISIBLE_DEVICES"] == assignment.device.uuid
