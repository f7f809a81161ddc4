"""Handler code inlined in a template reaches the function exactly as YAML reads it: the SSL
templates of the corpus carry Python in ``Fn::Sub: |-`` block scalars; our loader gives the same
text as PyYAML (tabs, indentation and line ends untouched), so the Tomcat template's
"unindent does not match" is the template's own (its ``else:`` is deeper than its ``if``), not
ours."""

from __future__ import annotations

import pytest
import yaml

from rosengine.template import load_template
from tests.support.corpus import require_corpus

FOLDER = "documents/solution/internet-application-development"


def _handler_source(data: dict) -> str:
    return str(data["Resources"]["Function"]["Properties"]["Code"]["SourceCode"]["Fn::Sub"])


@pytest.mark.parametrize("server", ["Nginx", "SpringBoot", "Tomcat"])
def test_inline_handler_code_is_read_as_yaml_reads_it(server: str) -> None:
    path = require_corpus("ros-templates") / FOLDER / f"deploy-SSL-certificates-to-{server}-applications.yml"
    text = path.read_text(encoding="utf-8")
    ours = _handler_source(load_template(text, filename=str(path)).data)
    assert ours == _handler_source(yaml.safe_load(text))
    if server == "Tomcat":
        with pytest.raises(IndentationError, match="unindent does not match"):
            compile(ours, "index.py", "exec")
    else:
        compile(ours, "index.py", "exec")
