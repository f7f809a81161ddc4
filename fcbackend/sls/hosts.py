"""SLS host names: ``[<project>.]<region>[-intranet|-share].log.aliyuncs.com``.

Why the project comes from the host: the official SDK addresses a project by sending ``Host:
<project>.<endpoint>`` (the URL too, unless the endpoint is a bare IP), and SLS takes the project
from the first label; without a project label the request is account-level (ListProject).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HOST = re.compile(
    r"^(?:(?P<project>[a-z0-9][a-z0-9-]*)\.)?"
    r"(?P<region>[a-z]+(?:-[a-z0-9]+)+?)(?P<kind>-intranet|-share)?\.log\.aliyuncs\.com$"
)


@dataclass(frozen=True)
class SlsHost:
    project: str | None
    region: str
    endpoint: str  # the host without the project label


def host_name(host: str) -> str:
    """A Host header without its port, lower-cased, without a trailing dot."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.strip().lower().rstrip(".")


def sls_host(host: str) -> SlsHost | None:
    """The SLS host ``host`` names, or None when it is not one."""
    match = _HOST.match(host_name(host))
    if match is None:
        return None
    endpoint = f"{match['region']}{match['kind'] or ''}.log.aliyuncs.com"
    return SlsHost(match["project"], match["region"], endpoint)
