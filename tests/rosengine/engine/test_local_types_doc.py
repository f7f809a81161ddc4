"""docs/local-resource-types.md lists every type with a local implementation, with its kind (twin,
record, no-op), and nothing else: the table users read is the registry's truth."""

from __future__ import annotations

from resource_types import registry
from resource_types.records.rules import PROVIDERS as RECORD_PROVIDERS
from resource_types.sls.records import LogtailConfigProvider, MachineGroupProvider
from tests.support.paths import REPO

DOC = REPO / "docs" / "local-resource-types.md"
NO_OPS = {"ALIYUN::ROS::AutoEnableService"}
# Types kept as records: the generic record provider's, and the SLS types whose data plane (Logtail
# agents) does not exist locally.
RECORDS = {*RECORD_PROVIDERS, MachineGroupProvider.type_name, LogtailConfigProvider.type_name}


def documented_kinds() -> dict[str, str]:
    rows: dict[str, str] = {}
    table = DOC.read_text(encoding="utf-8").split("## Resource types with a local implementation", 1)[1]
    for line in table.split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_the_table_names_every_local_type_with_its_kind() -> None:
    actual = {
        name: "record" if name in RECORDS else "no-op" if name in NO_OPS else "twin"
        for name in registry.provider_types()
        if name.startswith(("ALIYUN::", "DATASOURCE::"))  # not the test types the engine tests register
    }
    documented = documented_kinds()
    assert sorted(set(actual) - set(documented)) == [], "local types missing from the doc"
    assert sorted(set(documented) - set(actual)) == [], "documented types that have no local implementation"
    assert {n: k for n, k in documented.items() if actual[n] != k} == {}
