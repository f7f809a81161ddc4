"""Use the stand-in Template API only while the real one is missing."""

from __future__ import annotations

import rosengine.template as real
from rosengine.engine import templating


def real_api_available() -> bool:
    return hasattr(real, "prepare") and hasattr(real, "load_template")


def install_if_needed() -> None:
    if real_api_available():
        templating.use_api(None)
        return
    import standin_template

    templating.use_api(standin_template)
