"""CAS's RPC API (version 2020-04-07) as far as templates and their functions use it: upload a
certificate, read its details, list and delete certificates.

Actions, parameters and answer fields follow the API reference
(https://www.alibabacloud.com/help/en/ssl-certificate/developer-reference/api-cas-2020-04-07-getusercertificatedetail
and its siblings UploadUserCertificate, DeleteUserCertificate, ListUserCertificateOrder). Each
action asks RAM for ``yundun-cert:<Action>`` (CAS's RAM service code, what
``AliyunYundunCertReadOnlyAccess`` grants). Requests reach it through RAM/STS's RPC endpoint,
which checks the signature the same way for every product it answers (``fcbackend.ram.endpoint``).

INFERRED: ``ListUserCertificateOrder`` answers only uploaded certificates (``OrderType=UPLOAD``:
nothing is bought locally), one page of all of them; the error codes of a missing or unknown
certificate (``NotFound``) and of a bad upload (``InvalidParameter``) are the gateway's usual ones.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from fcbackend.cas.certificates import InvalidCertificate, read_certificate
from fcbackend.cas.store import CasStore, CertificateRecord
from fcbackend.ram.calls import ActionCall, Handler
from fcbackend.ram.errors import RamError

VERSION = "2020-04-07"
PRODUCT = "cas"
# cas.aliyuncs.com and its regional names (cas.<region>.aliyuncs.com, cas-vpc...).
HOSTS = re.compile(r"^cas(?:-vpc)?(?:\.[a-z0-9-]+)?\.aliyuncs\.com$")
RAM_SERVICE = "yundun-cert"


def _date(value: Any) -> str:
    return str(value.strftime("%Y-%m-%d"))


class CasApi:
    """The actions, each a :data:`~fcbackend.ram.calls.Handler`."""

    def __init__(self, store: CasStore, *, now: Callable[[], float] = time.time):
        self.store = store
        self._now = now
        self._lock = threading.Lock()
        self.actions: dict[str, Handler] = {
            "UploadUserCertificate": self.upload,
            "GetUserCertificateDetail": self.detail,
            "DeleteUserCertificate": self.delete,
            "ListUserCertificateOrder": self.list_orders,
        }

    def _record(self, call: ActionCall) -> CertificateRecord:
        text = call.required("CertId")
        record = self.store.get(int(text)) if text.isdigit() else None
        if record is None:
            raise RamError("NotFound", f"The certificate {text} does not exist in this account.", 404)
        return record

    def upload(self, call: ActionCall) -> dict[str, Any]:
        call.permit(RAM_SERVICE)
        name, cert, key = call.required("Name"), call.required("Cert"), call.required("Key")
        try:
            read_certificate(cert, key)
        except InvalidCertificate as exc:
            raise RamError("InvalidParameter", str(exc), 400) from None
        with self._lock:
            try:
                record = self.store.add(name, cert, key, self._now())
            except ValueError:
                raise RamError("NameRepeat", f"A certificate named {name!r} exists already.", 400) from None
        return {"CertId": record.cert_id}

    def detail(self, call: ActionCall) -> dict[str, Any]:
        call.permit(RAM_SERVICE)
        record = self._record(call)
        facts = read_certificate(record.cert, record.private_key)
        answer: dict[str, Any] = {
            "Id": record.cert_id,
            "Name": record.name,
            "Common": facts.common,
            "Sans": ",".join(facts.sans),
            "Issuer": facts.issuer,
            "OrgName": facts.org_name,
            "Province": facts.province,
            "City": facts.city,
            "Country": facts.country,
            "StartDate": _date(facts.not_before),
            "EndDate": _date(facts.not_after),
            "NotBefore": int(facts.not_before.timestamp() * 1000),
            "NotAfter": int(facts.not_after.timestamp() * 1000),
            "Expired": facts.not_after.timestamp() < self._now(),
            "Fingerprint": facts.fingerprint,
            "SerialNo": facts.serial,
            "Algorithm": facts.algorithm,
            "BuyInCloud": False,
            "CertIdentifier": f"{record.cert_id}-{call.params.get('RegionId') or 'cn-hangzhou'}",
        }
        if (call.boolean("CertFilter") or False) is False:
            answer["Cert"], answer["Key"] = record.cert, record.private_key
        return answer

    def delete(self, call: ActionCall) -> dict[str, Any]:
        call.permit(RAM_SERVICE)
        record = self._record(call)
        self.store.delete(record.cert_id)
        return {}

    def list_orders(self, call: ActionCall) -> dict[str, Any]:
        call.permit(RAM_SERVICE)
        rows = []
        for record in self.store.all():
            facts = read_certificate(record.cert, record.private_key)
            rows.append(
                {
                    "CertificateId": record.cert_id,
                    "Name": record.name,
                    "CommonName": facts.common,
                    "Sans": ",".join(facts.sans),
                    "Issuer": facts.issuer,
                    "StartDate": _date(facts.not_before),
                    "EndDate": _date(facts.not_after),
                    "Expired": facts.not_after.timestamp() < self._now(),
                    "Fingerprint": facts.fingerprint,
                    "Upload": True,
                }
            )
        count = len(rows)
        return {"CertificateOrderList": rows, "TotalCount": count, "CurrentPage": 1, "ShowSize": count}
