"""``ros resource-types list|show``: ListResourceTypes / GetResourceType from the local schemas."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rosengine.cli import cli


def ros(*args: str):
    return CliRunner().invoke(cli, ["resource-types", *args], catch_exceptions=False)


def test_list_all_and_by_family_and_kind():
    everything = ros("list", "-o", "json")
    names = json.loads(everything.stdout)["ResourceTypes"]
    assert len(names) > 1300 and names == sorted(names)
    ram = ros("list", "--family", "ram").stdout.split()
    assert "ALIYUN::RAM::Role" in ram and "DATASOURCE::RAM::Role" in ram
    assert all(name.split("::")[1] == "RAM" for name in ram)
    sources = ros("list", "--family", "RAM", "--kind", "datasource").stdout.split()
    assert sources and all(name.startswith("DATASOURCE::RAM::") for name in sources)
    assert ros("list", "--family", "NoSuchFamily").exit_code == 2


def test_show_describes_properties_constraints_and_attributes_as_json():
    result = ros("show", "ALIYUN::RAM::Role", "-o", "json")
    assert result.exit_code == 0, result.output
    role = json.loads(result.stdout)
    assert role["ResourceType"] == "ALIYUN::RAM::Role"
    assert role["DocumentationUrl"].startswith("https://")
    props = role["Properties"]
    assert props["RoleName"]["Type"] == "string" and props["RoleName"]["Required"] is True
    assert {"Range": {"Min": 3600, "Max": 43200}} in props["MaxSessionDuration"]["Constraints"]
    statement = props["AssumeRolePolicyDocument"]["Schema"]["Statement"]
    assert statement["Type"] == "list" and "Effect" in statement["Schema"]
    assert set(role["Attributes"]) == {"Arn", "RoleId", "RoleName"}


def test_show_says_update_behaviour_where_known_and_text_reads_well():
    service = json.loads(ros("show", "ALIYUN::FC::Service", "-o", "json").stdout)
    assert service["Properties"]["ServiceName"]["UpdateAllowed"] is False
    assert service["Properties"]["Description"]["UpdateAllowed"] is True
    assert service["Attributes"]["ServiceId"] == {"Type": "string"}
    text = ros("show", "ALIYUN::FC::Service").stdout
    assert "ServiceName" in text and "replacement on update" in text and "length 1-128" in text
    stack = ros("show", "ALIYUN::ROS::Stack").stdout
    assert "any name matching ^Outputs\\..+$" in stack


def test_show_of_an_unknown_type_suggests_the_closest():
    result = ros("show", "ALIYUN::RAM::Rol")
    assert result.exit_code == 1
    assert "did you mean ALIYUN::RAM::Role?" in result.output
