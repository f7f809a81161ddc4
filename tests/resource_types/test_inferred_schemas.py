"""ALIYUN::FC::Application and ALIYUN::MNS::EventNotification: no ROS CDK release describes them, so
their hand-written schemas (INFERRED from the public examples) are what ros validate checks them
against: the corpus's uses validate, a missing required property or a wrong type is reported."""

from __future__ import annotations

import textwrap

from rosengine.errors import TemplateError
from rosengine.template import load_template
from rosengine.validate import check_template
from tests.support.corpus import require_corpus


def check(body: str) -> list[TemplateError]:
    return check_template(load_template(textwrap.dedent(body), filename="t.yml"))


def test_an_application_without_its_template_or_with_a_list_of_parameters_is_reported() -> None:
    errors = check(
        """
        ROSTemplateFormatVersion: '2015-09-01'
        Resources:
          App:
            Type: ALIYUN::FC::Application
            Properties:
              Name: app
              Parameters: [1, 2]
        """
    )
    text = "\n".join(str(e) for e in errors)
    assert "Resources.App.Properties" in text and "Template" in text
    assert "Resources.App.Properties.Parameters" in text


def test_an_event_notification_with_a_string_for_its_event_types_is_reported() -> None:
    errors = check(
        """
        ROSTemplateFormatVersion: '2015-09-01'
        Resources:
          Rule:
            Type: ALIYUN::MNS::EventNotification
            Properties:
              Identifier: rule
              ProductName: oss
              EventTypes: oss:ObjectCreated:PutObject
        """
    )
    assert any(e.path[:4] == ("Resources", "Rule", "Properties", "EventTypes") for e in errors), errors


def test_the_public_examples_that_use_them_validate() -> None:
    root = require_corpus("ros-templates")
    for relative in (
        "documents/help/oss/download-package-by-fc.yml",
        "documents/solution/ai/ComfyUI-by-fc.yml",
        "documents/solution/internet-application-development/file-processing-on-fc.yml",
    ):
        path = root / relative
        errors = check_template(load_template(path.read_text(encoding="utf-8"), filename=str(path)))
        assert [e for e in errors if "Application" in str(e.path) or "EventNotification" in str(e.path)] == []
