"""A cold start's CPU allowance: an instance starts with up to one whole vCPU, and gets its share
(``fcbackend.runtimes.fc_contract.instance_vcpu``) once its first request has been answered, or
after :data:`WINDOW_S` seconds, whichever comes first.

Why: a 128 MB function's share is 0.0625 vCPU. Held to it from its first instruction, a Python
function that does ``import oss2`` (about 0.2 s of CPU) needs over 3 s to import it and times
out at FC's default 3 s, where the same template runs in the cloud (the corpus's
``fc-web-file-backend-service.yml`` does exactly this in a FunctionInvoker). Starting the
runtime and loading the code are the platform's work in the cloud, not what the share meters.

Containment stays bounded: the allowance is one vCPU (never less than the share) for one
window per instance, so a hostile first request gets at most ``WINDOW_S`` CPU-seconds beyond
its share; every later request, and the rest of a long first one, runs under the share.
"""

from __future__ import annotations

import asyncio
import dataclasses

from fcbackend.instances.cgroups import InstanceCgroup, Limits

VCPU = 1.0
WINDOW_S = 2.0


def starting_limits(steady: Limits) -> Limits:
    """``steady`` with the cold start's CPU: at least :data:`VCPU` (a share without a quota, None,
    stays without one)."""
    if not steady.cpu:
        return steady
    return dataclasses.replace(steady, cpu=max(steady.cpu, VCPU))


class ColdStartAllowance:
    """Puts ``cgroup`` back to ``steady`` at :meth:`end` or after ``window_s``, once."""

    def __init__(self, cgroup: InstanceCgroup, steady: Limits, window_s: float = WINDOW_S):
        self._cgroup = cgroup
        self._steady = steady
        self.active = True
        self._timer = asyncio.get_running_loop().call_later(window_s, self.end)

    def end(self) -> None:
        """The share from now on (the first request was answered, or the window closed)."""
        if not self.active:
            return
        self.active = False
        self._timer.cancel()
        self._cgroup.set_limits(self._steady)

    def cancel(self) -> None:
        """The instance is going away: nothing to put back."""
        self.active = False
        self._timer.cancel()
