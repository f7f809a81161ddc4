"""A real backend (real scheduler and instances) for the ``ALIYUN::FC3::*`` providers, and a
ProviderContext whose client factory hands out Fc3Client/FcClient for it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from resource_types.base import ProviderContext
from tests.support.fc3_backend import Fc3Backend, fc3_backend


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fc3Backend]:
    with fc3_backend(tmp_path_factory.mktemp("fc3-providers"), fake=False) as backend:
        yield backend


_names = itertools.count(1)


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}-{next(_names)}"


@pytest.fixture
def ctx(live: Fc3Backend, tmp_path: Path) -> Callable[..., ProviderContext]:
    def build(
        resource_type: str = "ALIYUN::FC3::Function", template_dir: str | None = None
    ) -> ProviderContext:
        return ProviderContext(
            stack_name="test",
            stack_id="stack-1",
            region=live.config.region,
            account_id=live.config.account_id,
            logical_id="Res",
            resource_type=resource_type,
            clients=lambda service: {"fc3": live.client, "fc": live.fc2}[service],
            template_dir=template_dir or str(tmp_path),
        )

    return build
