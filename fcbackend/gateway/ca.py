"""The gateway's certificate authority: one per state directory, leaf certificates per host.

Why a CA of our own: function code calls ``https://<service>.aliyuncs.com`` and verifies the
certificate, so the gateway can only answer in the cloud's place with a certificate the caller
trusts. Functions (and users who export ``HTTPS_PROXY``) trust the CA through the files this
module writes:

* ``<state dir>/gateway/ca.pem`` — the CA certificate alone (to import into a trust store);
* ``ca-bundle.pem`` — the CA followed by this machine's public roots, so that a tool whose trust
  store is replaced by it (``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``) still trusts the Internet;
* ``ca-key.pem`` and ``leaf-key.pem`` (0600, never shown to functions).

Every host gets its own leaf certificate naming exactly that host (a ``*.aliyuncs.com`` wildcard
would not cover ``sts.cn-hangzhou.aliyuncs.com``: a wildcard matches one label), minted on first
use with ``cryptography`` (a well-kept binding of OpenSSL's primitives; the standard library can
use certificates but not make them), cached in memory and in ``certs/``. Keys are ECDSA P-256
(fast to sign, accepted by every runtime). The certificates carry what strict verifiers (Python
3.13's ``VERIFY_X509_STRICT``) require: a critical basicConstraints, keyUsage, and subject /
authority key identifiers.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import ssl
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
BUNDLE_FILE = "ca-bundle.pem"
LEAF_KEY_FILE = "leaf-key.pem"
CERTS_DIR = "certs"
CA_YEARS = 10
LEAF_DAYS = 365
MAX_CACHED_CONTEXTS = 512


def _write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def system_roots() -> bytes:
    """This machine's public root certificates (PEM), for the bundle; empty when none is found."""
    paths = ssl.get_default_verify_paths()
    candidates = [paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"]
    with contextlib.suppress(ImportError):
        import certifi

        candidates.append(certifi.where())
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            with contextlib.suppress(OSError):
                return Path(candidate).read_bytes()
    return b""


class LocalCa:
    """The CA of one state directory (created on first use) and its per-host TLS contexts."""

    def __init__(self, directory: Path, label: str = ""):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        (self.directory / CERTS_DIR).mkdir(exist_ok=True)
        self.label = label or hashlib.sha256(str(self.directory.resolve()).encode()).hexdigest()[:12]
        self._lock = threading.Lock()
        self._contexts: OrderedDict[str, ssl.SSLContext] = OrderedDict()
        self._ensure_ca()

    @property
    def cert_path(self) -> Path:
        return self.directory / CA_FILE

    @property
    def bundle_path(self) -> Path:
        return self.directory / BUNDLE_FILE

    def _ensure_ca(self) -> None:
        if not (self.cert_path.exists() and (self.directory / CA_KEY_FILE).exists()):
            self._create_ca()
        if not (self.directory / LEAF_KEY_FILE).exists():
            from cryptography.hazmat.primitives.asymmetric import ec

            _write_private(self.directory / LEAF_KEY_FILE, _key_pem(ec.generate_private_key(ec.SECP256R1())))
        bundle = self.cert_path.read_bytes() + b"\n" + system_roots()
        if not self.bundle_path.exists() or self.bundle_path.read_bytes() != bundle:
            _write_private(self.bundle_path, bundle, 0o644)
        os.chmod(self.cert_path, 0o644)

    def _create_ca(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rosengine"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"rosengine local CA {self.label}"),
            ]
        )
        now = datetime.datetime.now(datetime.UTC)
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.directory / CA_KEY_FILE, _key_pem(key))
        _write_private(self.cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)

    def _leaf_path(self, host: str) -> Path:
        digest = hashlib.sha256(host.encode()).hexdigest()[:16]
        safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)[:100]
        return self.directory / CERTS_DIR / f"{safe}-{digest}.pem"

    def _mint_leaf(self, host: str, path: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        ca_key = _load_key(self.directory / CA_KEY_FILE)
        public = _load_key(self.directory / LEAF_KEY_FILE).public_key()
        now = datetime.datetime.now(datetime.UTC)
        try:
            import ipaddress

            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            alt = x509.DNSName(host)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(ca_cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        chain = cert.public_bytes(serialization.Encoding.PEM) + self.cert_path.read_bytes()
        _write_private(path, chain, 0o644)

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``host`` (minted on first use)."""
        host = host.lower()
        with self._lock:
            context = self._contexts.get(host)
            if context is not None:
                self._contexts.move_to_end(host)
                return context
            path = self._leaf_path(host)
            if not path.exists():
                self._mint_leaf(host, path)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.set_alpn_protocols(["http/1.1"])
            context.load_cert_chain(str(path), str(self.directory / LEAF_KEY_FILE))
            self._contexts[host] = context
            while len(self._contexts) > MAX_CACHED_CONTEXTS:
                self._contexts.popitem(last=False)
            return context

    def sni_context(self, default_host: str) -> ssl.SSLContext:
        """A context choosing the certificate by the client's SNI name (``default_host`` when it
        sends none): for listeners that clients reach by name resolution rather than CONNECT."""
        path = self._leaf_path(default_host)
        self.context_for(default_host)
        base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        base.minimum_version = ssl.TLSVersion.TLSv1_2
        base.set_alpn_protocols(["http/1.1"])
        base.load_cert_chain(str(path), str(self.directory / LEAF_KEY_FILE))

        def choose(sock: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
            if server_name:
                sock.context = self.context_for(server_name)

        base.sni_callback = choose
        return base


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key; remove it to have it recreated")
    return key
