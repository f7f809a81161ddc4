"""The corpus's FC templates deployed for real, in process, against a real backend: each as it is
and with --placeholders, with parameters from their defaults, allowed values or plausible values.
What happens to each is the table in docs/local-resource-types.md ("The corpus's FC templates"):
a template that deploys has its functions really running (each is invoked); one that cannot names
why (the type it refuses, or what failed); every stack that deployed is deleted cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from rosengine.clients.fc import FcApiError
from rosengine.clients.fc3 import Fc3Client
from rosengine.clients.oss import OssClient
from rosengine.clients.ram import RamClient
from rosengine.engine import StackEngine
from tests.support.corpus import require_corpus
from tests.support.corpus_deploy import (
    deploy,
    empty_buckets,
    fc_templates,
    local_certificate,
    wait_for_async_work,
)
from tests.support.live_stack import LiveStack, events, live_stack, stack_engine
from tests.support.paths import REPO

__all__ = ["events", "live_stack", "stack_engine"]

DOC = REPO / "docs" / "local-resource-types.md"
SECTION = "## The corpus's FC templates"
pytestmark = pytest.mark.slow


def documented_outcomes() -> dict[str, tuple[str, str]]:
    """``file -> (as it is, with --placeholders)`` from the doc's table."""
    text = DOC.read_text(encoding="utf-8").split(SECTION, 1)[1]
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 3:
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


def test_every_fc_template_of_the_corpus_is_in_the_table() -> None:
    root = require_corpus("ros-templates")
    found = {p.relative_to(root).as_posix() for p in fc_templates(root)}
    documented = set(documented_outcomes())
    assert sorted(found - documented) == [] and sorted(documented - found) == []
    assert len(found) >= 17


def _functions_run(engine: StackEngine, live: LiveStack, name: str) -> None:
    """Each function of the stack starts and runs its handler (a function error — the handler did
    not like an empty event — still proves it ran; a platform error does not)."""
    for row in engine.resources(name):
        if row.type != "ALIYUN::FC::Function" or row.placeholder:
            continue
        service, function = str(row.physical_id).split("|", 1)
        try:
            result = live.fc.invoke_function(service, function, b"{}", invocation_type="Async")
        except FcApiError as exc:
            raise AssertionError(f"{name}: {service}/{function} could not be invoked: {exc}") from exc
        assert result.status == 202, (service, function, result.body)


@pytest.mark.parametrize("relative", sorted(documented_outcomes()) if DOC.exists() else [])
def test_a_corpus_fc_template_deploys_or_says_why(
    relative: str, stack_engine: StackEngine, live_stack: LiveStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSENGINE_SLEEP_SCALE", "0")
    path: Path = require_corpus("ros-templates") / relative
    as_is, with_placeholders = documented_outcomes()[relative]
    config = live_stack.config

    def certificate() -> str:
        with RamClient(live_stack.endpoint, config.access_key_id, config.access_key_secret) as ram:
            return local_certificate(ram)

    for placeholders, expected in ((False, as_is), (True, with_placeholders)):
        name = f"corpus{'-ph' if placeholders else ''}"
        outcome = deploy(stack_engine, path, name, placeholders=placeholders, certificate=certificate)
        how = "with --placeholders" if placeholders else "as it is"
        assert outcome.matches(expected), (
            f"{relative} {how}: expected {expected!r}, got {outcome.kind}: {outcome.message}"
        )
        if outcome.kind == "deploys":
            _functions_run(stack_engine, live_stack, name)
        if outcome.stack is not None and outcome.stack.status != "DELETE_COMPLETE":
            config = live_stack.config
            with Fc3Client(live_stack.endpoint, config.access_key_id, config.access_key_secret) as fc3:
                wait_for_async_work(stack_engine, fc3, name)
            with OssClient(live_stack.endpoint, config.access_key_id, config.access_key_secret) as oss:
                empty_buckets(stack_engine, oss, name)
            deleted = stack_engine.delete_stack(name)
            assert deleted.status == "DELETE_COMPLETE", deleted.reason
