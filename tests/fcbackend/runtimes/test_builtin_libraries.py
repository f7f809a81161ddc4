"""FC's built-in Python libraries: inline code imports oss2 & co. without packaging them, on the
sandbox and process drivers, from one shared read-only layer built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fcbackend.runtimes.builtin_libraries import LibraryLayerError, PythonLibraryLayer
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.instances import DRIVERS, make_driver, make_spec, request, run, write_code

INLINE = """
import json, sys
import oss2, fc2, aliyun.log, aliyunsdkcore, tablestore, requests

def handler(event, context):
    return json.dumps({"oss2": oss2.__file__, "version": oss2.__version__,
                       "enum_is_stdlib": sys.modules["enum"].__file__.startswith(sys.base_prefix)})
"""


@pytest.fixture(scope="module")
def layer() -> PythonLibraryLayer:
    """The real layer (FC's list, from PyPI or ROS_FC_WHEELHOUSE), built once per machine."""
    found = PythonLibraryLayer.from_environment()
    if found is None:
        pytest.skip("ROS_FC_PYTHON_LIBRARIES=off turns the built-in libraries off")
    found.build()
    return found


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("driver_kind", DRIVERS)
def test_inline_code_imports_fc_builtin_libraries(
    driver_kind: str, layer: PythonLibraryLayer, tmp_path: Path
) -> None:
    code = write_code(tmp_path, {"index.py": INLINE})
    driver = make_driver(driver_kind, tmp_path / "state")
    driver.use_python_libraries(layer)

    async def main() -> bytes:
        config = SchedulerConfig(prewarm_runtimes=(), pool_size=1)
        sched = Scheduler(
            {driver_kind: driver}, default_driver=driver_kind, config=config, state_dir=tmp_path / "s"
        )
        await sched.start()
        try:
            result = await sched.invoke(make_spec(code), request(b"{}"))
            assert result.error_type is None, result.body
            return result.body
        finally:
            await sched.close()

    answer = json.loads(run(main, timeout=300))
    assert answer["oss2"].startswith(str(layer.site_packages)) and answer["enum_is_stdlib"]


def test_packaged_copy_wins_over_the_builtin_one(layer: PythonLibraryLayer, tmp_path: Path) -> None:
    code = write_code(
        tmp_path,
        {
            "oss2/__init__.py": "__version__ = 'packaged'\n",
            "index.py": "import oss2\ndef handler(event, context):\n    return oss2.__version__\n",
        },
    )
    driver = make_driver("process", tmp_path / "state")
    driver.use_python_libraries(layer)

    async def main() -> bytes:
        config = SchedulerConfig(prewarm_runtimes=(), pool_size=1)
        sched = Scheduler(
            {"process": driver}, default_driver="process", config=config, state_dir=tmp_path / "s"
        )
        await sched.start()
        try:
            return (await sched.invoke(make_spec(code), request(b"{}"))).body
        finally:
            await sched.close()

    assert run(main) == b"packaged"


def test_an_unbuildable_layer_says_why_and_what_to_do(tmp_path: Path) -> None:
    empty_wheelhouse = tmp_path / "wheels"
    empty_wheelhouse.mkdir()
    layer = PythonLibraryLayer(tmp_path / "layer", (("oss2>=2.16", "OSS SDK"),), wheelhouse=empty_wheelhouse)
    with pytest.raises(LibraryLayerError) as err:
        layer.build()
    message = str(err.value)
    assert "oss2" in message and str(empty_wheelhouse) in message and "ROS_FC_WHEELHOUSE" in message
    assert layer.ready() is None and not any(
        p.name.startswith(layer.key) for p in (tmp_path / "layer").iterdir()
    )
