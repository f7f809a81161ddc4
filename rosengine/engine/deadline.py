"""The operation deadline (``--timeout-mins``).

Why a class: providers receive ``ctx.deadline()`` (seconds left) so a waiting provider never waits
past it, and the executor waits for results no longer than it. Minutes are a float so tests can
use a fraction of a second.
"""

from __future__ import annotations

import time


class Deadline:
    def __init__(self, minutes: float):
        self.minutes = minutes
        self._end = time.monotonic() + minutes * 60.0

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def describe(self) -> str:
        if self.minutes >= 1 and float(self.minutes).is_integer():
            return f"{int(self.minutes)} minute{'s' if self.minutes != 1 else ''}"
        return f"{self.minutes * 60:.3g} seconds"
