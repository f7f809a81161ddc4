"""Which service a host belongs to, and the per-state-directory CA's certificates."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from fcbackend.gateway.ca import LocalCa
from fcbackend.gateway.hosts import classify


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("oss-cn-hangzhou.aliyuncs.com", "oss"),
        ("oss-cn-hangzhou-internal.aliyuncs.com:443", "oss"),
        ("my-bucket.oss-cn-shanghai.aliyuncs.com", "oss"),
        ("oss-accelerate.aliyuncs.com", "oss"),
        ("cn-hangzhou.log.aliyuncs.com", "sls"),
        ("my-project.cn-hangzhou-intranet.log.aliyuncs.com", "sls"),
        ("sts.aliyuncs.com", "sts"),
        ("sts.cn-hangzhou.aliyuncs.com", "sts"),
        ("sts-vpc.cn-beijing.aliyuncs.com", "sts"),
        ("ram.aliyuncs.com", "ram"),
        ("1234567890.cn-hangzhou.fc.aliyuncs.com", "fc"),
        ("1234567890.cn-hangzhou-internal.fc.aliyuncs.com", "fc"),
        ("ecs.cn-hangzhou.aliyuncs.com", "ecs"),
        ("ecs-cn-hangzhou.aliyuncs.com", "ecs"),
        ("ecs.aliyuncs.com", "ecs"),
        ("vpc-vpc.cn-hangzhou.aliyuncs.com", "vpc"),
        ("1234.mns.cn-hangzhou.aliyuncs.com", "mns"),
        ("ros.aliyuncs.com.", "ros"),
    ],
)
def test_aliyun_hosts_name_their_service(host: str, service: str) -> None:
    destination = classify(host)
    assert destination.is_aliyun and destination.service == service


@pytest.mark.parametrize("host", ["example.com", "aliyuncs.com.evil.example", "127.0.0.1:8080", "localhost"])
def test_other_hosts_are_not_aliyun(host: str) -> None:
    assert not classify(host).is_aliyun


def test_xml_for_oss_style_services_json_for_others() -> None:
    assert classify("oss-cn-hangzhou.aliyuncs.com").speaks_xml
    assert classify("1.mns.cn-hangzhou.aliyuncs.com").speaks_xml
    assert not classify("ecs.aliyuncs.com").speaks_xml


def _handshake(ca: LocalCa, host: str, trust: Path) -> dict[str, object]:
    """Serve one TLS handshake for ``host`` with the CA's context; a client trusting ``trust``."""
    server_sock, client_sock = socket.socketpair()
    server_context = ca.sni_context("default.aliyuncs.com")
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            with server_context.wrap_socket(server_sock, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError) as exc:
            failures.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_context = ssl.create_default_context(cafile=str(trust))
    try:
        with client_context.wrap_socket(client_sock, server_hostname=host) as tls:
            certificate = tls.getpeercert()
            tls.sendall(b"x")
    finally:
        thread.join(10)
    assert not failures
    return certificate


def test_each_host_gets_a_certificate_for_exactly_that_name(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "gateway")
    certificate = _handshake(ca, "sts.cn-hangzhou.aliyuncs.com", ca.cert_path)
    assert ("DNS", "sts.cn-hangzhou.aliyuncs.com") in certificate["subjectAltName"]
    bundle = ca.bundle_path.read_bytes()
    assert bundle.startswith(ca.cert_path.read_bytes()) and len(bundle) > len(ca.cert_path.read_bytes())
    assert oct((tmp_path / "gateway" / "ca-key.pem").stat().st_mode & 0o777) == "0o600"


def test_strict_verification_accepts_the_certificates(tmp_path: Path) -> None:
    """What Python 3.13 turns on by default (VERIFY_X509_STRICT) must not reject our chain."""
    ca = LocalCa(tmp_path / "gateway")
    server_sock, client_sock = socket.socketpair()
    context = ssl.create_default_context(cafile=str(ca.cert_path))
    context.verify_flags |= ssl.VERIFY_X509_STRICT

    def serve() -> None:
        with ca.context_for("oss-cn-hangzhou.aliyuncs.com").wrap_socket(server_sock, server_side=True) as tls:
            tls.recv(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with context.wrap_socket(client_sock, server_hostname="oss-cn-hangzhou.aliyuncs.com") as tls:
        tls.sendall(b"x")
    thread.join(10)


def test_the_ca_survives_a_restart_and_is_not_shared_between_state_dirs(tmp_path: Path) -> None:
    first = LocalCa(tmp_path / "a")
    again = LocalCa(tmp_path / "a")
    other = LocalCa(tmp_path / "b")
    assert first.cert_path.read_bytes() == again.cert_path.read_bytes()
    assert first.cert_path.read_bytes() != other.cert_path.read_bytes()
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(other, "cn-hangzhou.log.aliyuncs.com", first.cert_path)
