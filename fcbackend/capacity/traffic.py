"""Alias traffic splitting: ``additionalVersionWeight`` (docs/reference/fc-api.md#versions-and-aliases).

A call through an alias goes to each version named in ``additionalVersionWeight`` with that
probability (0-1) and otherwise to the alias's ``versionId``. The choice uses its own
:class:`random.Random`, so a test can seed it and assert the split; the backend seeds it from the
OS. Weights are read case-insensitively; if they add up to more than 1 they are scaled down to 1
(the API refuses such aliases; stored data from elsewhere still routes sensibly).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from typing import Any


class AliasTrafficRouter:
    """Fits the API's ``BackendState.alias_router`` hook: alias document -> version id."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, alias: Mapping[str, Any]) -> str:
        return self.choose(alias)

    def choose(self, alias: Mapping[str, Any]) -> str:
        main, weights = split_of(alias)
        if not weights:
            return main
        with self._lock:
            draw = self._rng.random()
        total = sum(weights.values())
        scale = 1.0 / total if total > 1.0 else 1.0
        cumulative = 0.0
        for version, weight in sorted(weights.items()):
            cumulative += weight * scale
            if draw < cumulative:
                return version
        return main


def split_of(alias: Mapping[str, Any]) -> tuple[str, dict[str, float]]:
    """(main version, {other version: weight}) from an alias document."""
    lowered = {str(k).lower(): v for k, v in alias.items()}
    main = str(lowered.get("versionid") or "LATEST")
    raw = lowered.get("additionalversionweight") or {}
    weights: dict[str, float] = {}
    if isinstance(raw, Mapping):
        for version, weight in raw.items():
            try:
                value = float(weight)
            except (TypeError, ValueError):
                continue
            if value > 0:
                weights[str(version)] = min(1.0, value)
    return main, weights


def validate_weights(alias: Mapping[str, Any]) -> list[str]:
    """Errors in an alias's weights: each 0-1 and a total of at most 1."""
    lowered = {str(k).lower(): v for k, v in alias.items()}
    raw = lowered.get("additionalversionweight")
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return ["additionalVersionWeight must be an object {versionId: weight 0-1}"]
    errors = []
    total = 0.0
    for version, weight in raw.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            errors.append(f"additionalVersionWeight.{version} must be a number 0-1, got {weight!r}")
        else:
            total += weight
    if total > 1.0 + 1e-9:
        errors.append(f"additionalVersionWeight adds up to {total:g}; the weights must total at most 1")
    return errors
