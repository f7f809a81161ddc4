"""The schema generator: committed schemas are exactly what the build makes from the committed
facts and the hand-written schemas; each step's rules on small inputs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from resource_types.cdkgen import extract, jsparse, transform
from resource_types.cdkgen.regex import translate
from rosengine.patterns import compile_pattern

ROOT = transform.ROOT


def test_committed_schemas_are_what_the_build_makes():
    outputs = transform.build(extract.load_facts(), transform.read_handwritten())
    assert transform.differences(outputs) == [], "run: python -m resource_types.cdkgen build"
    index = json.loads((ROOT / transform.INDEX).read_text())["types"]
    assert len(index) > 1300
    assert {
        "ALIYUN::ECS::Instance",
        "ALIYUN::RAM::Role",
        "DATASOURCE::RAM::Role",
        "ALIYUN::FC3::Function",
    } <= set(index)


def _walk_patterns(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                found.append(value)
            else:
                _walk_patterns(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk_patterns(item, found)


def test_every_schema_pattern_runs_on_re2_and_every_file_is_indexed():
    index = json.loads((ROOT / transform.INDEX).read_text())["types"]
    patterns: list[str] = []
    for type_name, path in index.items():
        schema = json.loads((ROOT / path).read_text())
        assert schema["typeName"] == type_name
        _walk_patterns(schema.get("properties"), patterns)
        _walk_patterns(schema.get("allOf"), patterns)
    assert len(patterns) > 100
    for pattern in patterns:
        compile_pattern(pattern)


SAMPLE = textwrap.dedent(
    """\
    function RosThingPropsValidator(properties) {
        if (!ros.canInspect(properties)) {
            return ros.VALIDATION_SUCCESS;
        }
        const errors = new ros.ValidationResults();
        errors.collect(ros.propertyValidator('thingName', ros.requiredValidator)(properties.thingName));
        if (properties.thingName && (typeof properties.thingName) !== 'object') {
            errors.collect(ros.propertyValidator('thingName', ros.validateAllowedPattern)({
                data: properties.thingName,
                reg: /^[a-z]{2,8}$/
            }));
        }
        errors.collect(ros.propertyValidator('thingName', ros.validateString)(properties.thingName));
        if (properties.size && (typeof properties.size) !== 'object') {
            errors.collect(ros.propertyValidator('size', ros.validateRange)({
                data: properties.size,
                min: 1,
                max: undefined,
            }));
        }
        errors.collect(ros.propertyValidator('size', ros.validateNumber)(properties.size));
        if (properties.ips && (Array.isArray(properties.ips) || (typeof properties.ips) === 'string')) {
            errors.collect(ros.propertyValidator('ips', ros.validateLength)({
                data: properties.ips.length,
                min: undefined,
                max: 3,
            }));
        }
        errors.collect(ros.propertyValidator('ips', ros.listValidator(ros.validateString))(properties.ips));
        errors.collect(ros.propertyValidator('tags', ros.hashValidator(ros.validateAny))(properties.tags));
        errors.collect(ros.propertyValidator('mode', ros.validateAllowedValues)({
            data: properties.mode,
            allowedValues: ["a", "b"],
        }));
        errors.collect(ros.propertyValidator('p', ros.listValidator(RosT_PPropertyValidator))(properties.p));
        errors.collect(ros.propertyValidator('odd', ros.somethingNew)(properties.odd));
        return errors.wrap('supplied properties not correct for "RosThingProps"');
    }
    function rosThingPropsToRosTemplate(properties, enableResourcePropertyConstraint) {
        if (!ros.canInspect(properties)) {
            return properties;
        }
        if (enableResourcePropertyConstraint) {
            RosThingPropsValidator(properties).assertSuccess();
        }
        return {
            'ThingName': ros.stringToRosTemplate(properties.thingName),
            'Size': ros.numberToRosTemplate(properties.size),
            'IPs': ros.listMapper(ros.stringToRosTemplate)(properties.ips),
            Tags: ros.hashMapper(ros.objectToRosTemplate)(properties.tags),
            'Parts': ros.listMapper(rosThingPPropertyToRosTemplate)(properties.p),
        };
    }
    function RosT_PPropertyValidator(properties) {
        if (!ros.canInspect(properties)) {
            return ros.VALIDATION_SUCCESS;
        }
        const errors = new ros.ValidationResults();
        errors.collect(ros.propertyValidator('weight', ros.requiredValidator)(properties.weight));
        errors.collect(ros.propertyValidator('weight', ros.validateNumber)(properties.weight));
        return errors.wrap('supplied properties not correct for "PartProperty"');
    }
    function rosThingPPropertyToRosTemplate(properties) {
        if (!ros.canInspect(properties)) {
            return properties;
        }
        RosT_PPropertyValidator(properties).assertSuccess();
        return {
            'Weight': ros.numberToRosTemplate(properties.weight),
        };
    }
    class RosThing extends ros.RosResource {
        constructor(scope, id, props, enableResourcePropertyConstraint) {
            super(scope, id, { type: RosThing.ROS_RESOURCE_TYPE_NAME, properties: props });
            this.attrArn = this.getAtt('Arn');
            this.attrOld = ros.Token.asString(this.getAtt('Old.Style'));
        }
        renderProperties(props) {
            return rosThingPropsToRosTemplate(props, this.enableResourcePropertyConstraint);
        }
    }
    RosThing.ROS_RESOURCE_TYPE_NAME = "ALIYUN::DEMO::Thing";
    """
)


def test_generated_javascript_gives_names_types_constraints_and_attributes():
    parsed = jsparse.parse(SAMPLE, "sample.js")
    assert [(r.type_name, r.attributes, r.converter) for r in parsed.resources] == [
        ("ALIYUN::DEMO::Thing", ["Arn", "Old.Style"], "rosThingProps")
    ]
    converter = parsed.converters["rosThingProps"]
    assert converter.properties == {
        "ThingName": ("thingName", "string"),
        "Size": ("size", "number"),
        "IPs": ("ips", ["list", "string"]),
        "Tags": ("tags", ["map", "any"]),
        "Parts": ("p", ["list", ["struct", "rosThingPProperty"]]),
    }
    checks = parsed.validators["RosThingProps"]
    assert checks.required == {"thingName"}
    assert checks.checks == {
        "thingName": {"pattern": "^[a-z]{2,8}$"},
        "size": {"min": 1},
        "ips": {"maxLength": 3},
    }
    # An unguarded allowed-values check and an unknown validator are reported, never guessed at.
    assert any("unrecognised statement" in n and "mode" in n for n in parsed.notes)
    assert any("unknown validator 'ros.somethingNew'" in n for n in parsed.notes)


def test_facts_become_json_schema():
    facts = {
        "attributes": ["Arn"],
        "properties": {
            "ThingName": {"type": "string", "required": True, "pattern": "^[a-z]{2,8}$"},
            "Size": {"type": "number", "min": 1, "max": 10},
            "IPs": {"type": ["list", "string"], "maxLength": 3},
            "Mode": {"type": "string", "allowed": ["a", "b"]},
            "Parts": {"type": ["list", ["struct", "Part"]]},
            "Tags": {"type": ["list", ["tag"]]},
        },
        "structs": {"Part": {"Weight": {"type": "number", "required": True}}},
    }
    report = transform._Report()
    schema = transform.cdk_schema("ALIYUN::DEMO::Thing", facts, report)
    props = schema["properties"]
    assert schema["required"] == ["ThingName"] and schema["additionalProperties"] is False
    assert props["ThingName"] == {"type": "string", "pattern": "^[a-z]{2,8}$"}
    assert props["Size"] == {"type": "number", "minimum": 1, "maximum": 10}
    assert props["IPs"] == {"type": "array", "items": {"type": "string"}, "maxItems": 3}
    assert props["Mode"]["enum"] == ["a", "b"]
    assert props["Parts"]["items"] == {
        "type": "object",
        "properties": {"Weight": {"type": "number"}},
        "required": ["Weight"],
        "additionalProperties": False,
    }
    assert props["Tags"]["items"]["required"] == ["Key"]
    assert schema["attributes"] == {"Arn": {}}


def test_patterns_are_translated_exactly_or_reported():
    assert translate("^[a-z]+$") == ({"pattern": "^[a-z]+$"}, None)
    assert translate("^[\\u4e00-\\u9fa5]+$")[0] == {"pattern": "^[\\u4e00-\\u9fa5]+$"}
    assert translate("^[-a-z]{1,1024}$")[0] == {"pattern": "^[-a-z]*$", "minLength": 1, "maxLength": 1024}
    # rosengine.patterns runs look-aheads at the start exactly
    assert translate("^(?!http://)(?=.*\\d).{1,8}$")[0] == {"pattern": "^(?!http://)(?=.*\\d).{1,8}$"}
    # a repetition too heavy to bound would be checked for its lower bound only: not exact
    heavy = "^(?:[a-z]{1,12}\\.){0,999}[a-z]+$"
    keywords, problem = translate(heavy)
    assert keywords is None and "too heavy" in problem
    keywords, problem = translate("^[a-z]+(?<!-)$")
    assert keywords is None and "not checked" in problem


def test_hand_written_schemas_win_and_keep_what_the_cdk_does_not_know():
    generated = {
        "typeName": "ALIYUN::DEMO::Thing",
        "properties": {
            "Name": {"type": "string", "maxLength": 10},
            "Config": {"type": "object", "properties": {"A": {"type": "string"}, "B": {"type": "number"}}},
            "New": {"type": "boolean"},
        },
        "required": ["Name", "New"],
        "additionalProperties": False,
        "attributes": {"Arn": {}, "Id": {}},
    }
    hand = {
        "typeName": "ALIYUN::DEMO::Thing",
        "properties": {
            "Name": {"type": "string", "maxLength": 64, "pattern": "^(?!acs:)"},
            "Config": {
                "type": "object",
                "properties": {"A": {"type": "integer"}},
                "additionalProperties": False,
            },
            "LocalPath": {"type": "string"},
        },
        "required": ["Name"],
        "createOnlyProperties": ["Name"],
        "attributes": {"Id": {"type": "string"}},
    }
    report = transform._Report()
    merged = transform.merge(
        generated, transform.runnable_patterns(hand, "demo"), "ALIYUN::DEMO::Thing", report
    )
    props = merged["properties"]
    assert props["Name"] == {"type": "string", "maxLength": 64, "pattern": "^(?!acs:)"}
    assert props["Config"]["properties"] == {"A": {"type": "integer"}, "B": {"type": "number"}}
    assert set(props) == {"Name", "Config", "New", "LocalPath"}
    assert merged["required"] == ["Name"] and merged["createOnlyProperties"] == ["Name"]
    assert merged["attributes"] == {"Arn": {}, "Id": {"type": "string"}}
    assert report.merges == [
        "ALIYUN::DEMO::Thing: properties from the CDK: New; hand-written only: LocalPath"
    ]


def test_retired_names_are_added_and_marked():
    current = {
        "properties": {"A": {"type": "string"}, "S": {"type": "object", "properties": {"X": {}}}},
        "attributes": {"Id": {}},
    }
    old = {
        "properties": {"Old": {"type": "number"}, "S": {"type": "object", "properties": {"Y": {}}}},
        "attributes": {"Gone": {}},
    }
    merged = transform.with_retired(current, old)
    assert merged["properties"]["Old"] == {"type": "number", "deprecated": True}
    assert merged["properties"]["S"]["properties"] == {"X": {}, "Y": {"deprecated": True}}
    assert merged["properties"]["A"] == {"type": "string"}
    assert merged["attributes"] == {"Gone": {"deprecated": True}, "Id": {}}


def test_schema_paths_are_stable_and_data_sources_sit_apart():
    assert transform.schema_path("ALIYUN::ECS::SSHKeyPair") == "ecs/ssh_key_pair.json"
    assert transform.schema_path("ALIYUN::RDS::DBInstance") == "rds/db_instance.json"
    assert transform.schema_path("DATASOURCE::RAM::Role") == "ram/datasource/role.json"
    with pytest.raises(ValueError):
        transform.schema_path("Custom::Thing")


def test_a_template_with_three_types_reads_three_schemas():
    """Lazy loading: the registry reads the index and the schemas asked for, nothing else."""
    code = textwrap.dedent(
        """
        import sys
        from resource_types import registry
        from rosengine.template import load_template
        from rosengine.validate import check_template
        text = '''ROSTemplateFormatVersion: '2015-09-01'
        Resources:
          Vpc: {Type: ALIYUN::ECS::VPC, Properties: {CidrBlock: 10.0.0.0/8}}
          Role:
            Type: ALIYUN::RAM::Role
            Properties: {RoleName: r, AssumeRolePolicyDocument: {Version: '1', Statement: []}}
          Bucket: {Type: ALIYUN::OSS::Bucket, Properties: {BucketName: logs-b}}
        '''
        assert check_template(load_template(text)) == []
        print(sorted(registry._schemas))
        print(not registry._providers)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, providers_untouched = result.stdout.splitlines()
    assert loaded == "['ALIYUN::ECS::VPC', 'ALIYUN::OSS::Bucket', 'ALIYUN::RAM::Role']"
    assert providers_untouched == "True"


def test_facts_file_is_normalised():
    text = extract.FACTS_FILE.read_text(encoding="utf-8")
    assert extract.dump_facts(json.loads(text)) == text
    assert Path(extract.PACKAGES_FILE).read_text().count("==1.15.0") > 130
