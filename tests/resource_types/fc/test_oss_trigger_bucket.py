"""An ``oss`` ALIYUN::FC::Trigger names its bucket in ``SourceArn`` or in TriggerConfig's
``BucketName``: ROS's own example gives it only in ``SourceArn``
(https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-fc-trigger), and
``ros validate`` rejected that example ("required property 'bucketName' is missing"). The
validator and the backend ask one function which bucket it is
(``backend_contract.trigger_config.oss_trigger_bucket``)."""

from __future__ import annotations

import textwrap

import pytest

from backend_contract.trigger_config import oss_trigger_bucket
from rosengine.errors import TemplateError, format_path
from rosengine.template import load_template
from rosengine.validate import check_template

DOCUMENTED_EXAMPLE = """
ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  BucketArn:
    Type: String
Resources:
  Trigger:
    Type: ALIYUN::FC::Trigger
    Properties:
      ServiceName: svc
      FunctionName: fn
      TriggerName: on-upload
      TriggerType: oss
      InvocationRole: acs:ram::1234567890123456:role/fc-oss-invoke
      SourceArn: {source_arn}
      TriggerConfig:
        Events:
          - oss:ObjectCreated:PutObject
          - oss:ObjectRemoved:DeleteObject
        Filter:
          Key:
            Prefix: source/
            Suffix: .png
{bucket_line}"""


def check(source_arn: str, bucket: str | None = None) -> list[TemplateError]:
    bucket_line = f"        BucketName: {bucket}\n" if bucket else ""
    body = DOCUMENTED_EXAMPLE.format(source_arn=source_arn, bucket_line=bucket_line)
    return check_template(load_template(textwrap.dedent(body), filename="t.yml"))


def test_the_documented_example_with_the_bucket_in_source_arn_validates() -> None:
    assert check("acs:oss:cn-hangzhou:1234567890123456:my-bucket") == []


def test_a_bucket_name_in_trigger_config_validates_too() -> None:
    assert check("acs:ram::1234567890123456:role/unrelated", bucket="my-bucket") == []


def test_a_source_arn_from_a_parameter_counts_as_given() -> None:
    assert check("!Ref BucketArn") == []


def test_an_oss_trigger_with_no_bucket_anywhere_is_reported_at_its_trigger_config() -> None:
    errors = check("acs:mns:cn-hangzhou:1234567890123456:/topics/t")
    assert [(format_path(e.path), e.line) for e in errors] == [
        ("Resources.Trigger.Properties.TriggerConfig", 16)
    ]
    assert "SourceArn" in errors[0].message and "BucketName" in errors[0].message


@pytest.mark.parametrize(
    ("config", "source_arn", "bucket"),
    [
        ({"bucketName": "a"}, "acs:oss:cn-hangzhou:1:b", "a"),
        ({"BucketName": "a"}, None, "a"),
        ({}, "acs:oss:cn-hangzhou:1:b", "b"),
        ({"events": ["oss:ObjectCreated:*"]}, None, None),
        ({}, "acs:log:cn-hangzhou:1:project/p", None),
    ],
)
def test_the_bucket_backend_and_validator_agree_on(
    config: dict, source_arn: str | None, bucket: str | None
) -> None:
    assert oss_trigger_bucket(config, source_arn) == bucket
