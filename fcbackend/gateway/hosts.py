"""Which Alibaba Cloud service a host name belongs to, as far as the gateway must know.

Why a classifier of its own: the gateway decides per request whether a host is one of ours
(``*.aliyuncs.com``), which twin serves it, and — for a service without a twin — how to say so in
that service's own error format. The product names follow Alibaba Cloud's endpoint scheme
(https://www.alibabacloud.com/help/en/sdk/product-overview/endpoints): ``<product>.aliyuncs.com``,
``<product>[-vpc].<region>.aliyuncs.com`` or ``<product>-<region>.aliyuncs.com``, with these
exceptions the twins care about:

* OSS — ``oss-<region>[-internal].aliyuncs.com`` and ``<bucket>.oss-<region>[-internal].aliyuncs.com``
  (also ``oss.aliyuncs.com`` and ``oss-accelerate.aliyuncs.com``);
* SLS — ``[<project>.]<region>[-intranet|-share].log.aliyuncs.com``;
* FC — ``<account>.<region>[-internal].fc.aliyuncs.com`` (FC 2.0 and 3.0 share it);
* STS — ``sts.aliyuncs.com``, ``sts[-vpc].<region>.aliyuncs.com``; RAM — ``ram.aliyuncs.com``;
  CAS — ``cas.aliyuncs.com`` (the generic rule).

OSS and MNS speak XML, every other service JSON (RPC, ROA and SLS alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALIYUN_SUFFIX = ".aliyuncs.com"
OSS, SLS, FC, STS, RAM, CAS = "oss", "sls", "fc", "sts", "ram", "cas"
XML_SERVICES = frozenset({OSS, "mns"})
_REGION = r"(?:cn|ap|us|eu|me|rus|na|sa|af)-[a-z0-9-]+"
_OSS = re.compile(r"^(?:[a-z0-9][a-z0-9-]*\.)?oss(?:-[a-z0-9-]+)?$")
_SLS = re.compile(r"\.log$|^log$")
_FC = re.compile(r"(?:^|\.)fc$")
_STS = re.compile(rf"^sts(?:-vpc)?(?:\.{_REGION})?$")
_PRODUCT_WITH_REGION = re.compile(rf"^(?P<product>[a-z0-9]+?)(?:-vpc|-internal|-share|-intranet)?-{_REGION}$")
_PRODUCT = re.compile(r"^(?P<product>[a-z0-9]+?)(?:-vpc|-internal|-share|-intranet)?$")


def host_name(host: str) -> str:
    """A Host header or CONNECT target without its port, lower-cased, without a trailing dot."""
    host = host.strip()
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.lower().rstrip(".")


@dataclass(frozen=True)
class Destination:
    """Where a request is headed: an Alibaba Cloud ``service`` (``None`` for any other host)."""

    host: str
    service: str | None

    @property
    def is_aliyun(self) -> bool:
        return self.service is not None

    @property
    def speaks_xml(self) -> bool:
        return self.service in XML_SERVICES


def classify(host: str) -> Destination:
    name = host_name(host)
    if not name.endswith(ALIYUN_SUFFIX) and name != ALIYUN_SUFFIX[1:]:
        return Destination(name, None)
    stem = name[: -len(ALIYUN_SUFFIX)] if name.endswith(ALIYUN_SUFFIX) else ""
    return Destination(name, service_of(stem))


def service_of(stem: str) -> str:
    """The product of a host whose ``.aliyuncs.com`` suffix is removed (``stem``)."""
    if _OSS.match(stem):
        return OSS
    if _SLS.search(stem):
        return SLS
    if _FC.search(stem):
        return FC
    if _STS.match(stem):
        return STS
    if stem == RAM:
        return RAM
    labels = [label for label in stem.split(".") if label]
    if not labels:
        return "aliyuncs"
    if len(labels) >= 2 and re.fullmatch(_REGION, labels[-1]):
        labels = labels[:-1]
    candidate = labels[-1]
    for pattern in (_PRODUCT_WITH_REGION, _PRODUCT):
        match = pattern.match(candidate)
        if match is not None:
            return match["product"]
    return candidate
