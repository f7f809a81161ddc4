"""The CAS twin (2020-04-07): a certificate uploaded to the local account answers
GetUserCertificateDetail with its own common name, names, dates and PEMs, through the official
``aliyunsdkcore`` as the corpus's functions call it; requests are signed and authorized like
RAM's; a bad upload or an unknown id is a clear error; certificates outlive the backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import CommonRequest

from rosengine.clients.ram import RamApiError
from tests.support.certificates import self_signed
from tests.support.ram import RamBackend, acs_call, ram_backend

VERSION = "2020-04-07"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RamBackend]:
    with ram_backend(tmp_path_factory.mktemp("cas")) as served:
        yield served


def _cas(
    backend: RamBackend, action: str, key: tuple[str, str] | None = None, **params: Any
) -> dict[str, Any]:
    request = CommonRequest(domain="cas.aliyuncs.com", version=VERSION, action_name=action)
    request.set_method("POST")
    for name, value in params.items():
        request.add_query_param(name, value)
    key_id, secret = key or (backend.config.access_key_id, backend.config.access_key_secret)
    return acs_call(backend.endpoint, key_id, secret, request)


def _upload(backend: RamBackend, name: str, common_name: str) -> tuple[int, str, str]:
    cert, key = self_signed(common_name)
    with backend.root() as client:
        answer = client.call("UploadUserCertificate", VERSION, Name=name, Cert=cert, Key=key)
    return int(answer["CertId"]), cert, key


def test_an_uploaded_certificate_answers_its_details_through_the_sdk(backend: RamBackend) -> None:
    cert_id, cert, key = _upload(backend, "site", "*.example.com")
    detail = _cas(backend, "GetUserCertificateDetail", CertId=cert_id)
    assert detail["Id"] == cert_id and detail["Name"] == "site"
    assert detail["Common"] == "*.example.com" and detail["Sans"] == "*.example.com"
    assert detail["Cert"] == cert and detail["Key"] == key
    assert detail["Issuer"] == "rosengine tests" and detail["Expired"] is False
    assert detail["StartDate"] <= detail["EndDate"] and len(detail["Fingerprint"]) == 40
    filtered = _cas(backend, "GetUserCertificateDetail", CertId=cert_id, CertFilter="true")
    assert "Cert" not in filtered and "Key" not in filtered and filtered["Common"] == "*.example.com"
    listed = _cas(backend, "ListUserCertificateOrder")["CertificateOrderList"]
    assert cert_id in [row["CertificateId"] for row in listed]


def test_a_user_needs_the_cert_policy_and_a_signature(backend: RamBackend) -> None:
    cert_id, _, _ = _upload(backend, "guarded", "guarded.example.com")
    reader = backend.user_with_key("cert-reader", "AliyunYundunCertReadOnlyAccess")
    detail = _cas(backend, "GetUserCertificateDetail", reader, CertId=cert_id)
    assert detail["Common"] == "guarded.example.com"
    nobody = backend.user_with_key("no-policies")
    with pytest.raises(ServerException) as denied:
        _cas(backend, "GetUserCertificateDetail", nobody, CertId=cert_id)
    assert denied.value.get_error_code() == "NoPermission"
    with pytest.raises(ServerException) as forged:
        _cas(backend, "GetUserCertificateDetail", (reader[0], "not-the-secret"), CertId=cert_id)
    assert forged.value.get_error_code() == "SignatureDoesNotMatch"


def test_bad_uploads_and_unknown_ids_are_clear_errors(backend: RamBackend) -> None:
    cert, _ = self_signed("a.example.com")
    _, other_key = self_signed("b.example.com")
    with backend.root() as client:
        with pytest.raises(RamApiError) as wrong_key:
            client.call("UploadUserCertificate", VERSION, Name="mismatch", Cert=cert, Key=other_key)
        assert wrong_key.value.code == "InvalidParameter" and "not the private key" in str(wrong_key.value)
        with pytest.raises(RamApiError) as not_pem:
            client.call("UploadUserCertificate", VERSION, Name="junk", Cert="junk", Key=other_key)
        assert not_pem.value.code == "InvalidParameter"
    with pytest.raises(ServerException) as unknown:
        _cas(backend, "GetUserCertificateDetail", CertId=999)
    assert unknown.value.get_error_code() == "NotFound" and unknown.value.get_http_status() == 404


def test_deleted_certificates_are_gone_and_kept_ones_survive_a_restart(tmp_path: Any) -> None:
    with ram_backend(tmp_path) as first:
        kept, _, _ = _upload(first, "kept", "kept.example.com")
        dropped, _, _ = _upload(first, "dropped", "dropped.example.com")
        _cas(first, "DeleteUserCertificate", CertId=dropped)
    with ram_backend(tmp_path) as second:
        assert _cas(second, "GetUserCertificateDetail", CertId=kept)["Common"] == "kept.example.com"
        with pytest.raises(ServerException):
            _cas(second, "GetUserCertificateDetail", CertId=dropped)
