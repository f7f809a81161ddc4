"""What CAS says about a certificate, read from its PEM: the common name, the other names, the
issuer, the validity and the fingerprint, as ``GetUserCertificateDetail`` answers them.

Why parsed rather than stored as told: templates ask CAS for a certificate's domain
(``Common``) to configure a web server with it; the answer must be the certificate's own.
``cryptography`` reads X.509 (already what the gateway's local CA is built with).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID


class InvalidCertificate(ValueError):
    """The PEM is not a certificate, or the key is not its key."""


@dataclass(frozen=True)
class CertificateFacts:
    common: str
    sans: list[str]
    issuer: str
    org_name: str
    province: str
    city: str
    country: str
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint: str  # SHA-1 of the DER, upper-case hex (what the console shows)
    serial: str
    algorithm: str  # RSA | ECC


def _name_part(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    found = name.get_attributes_for_oid(oid)
    value = found[0].value if found else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def read_certificate(cert_pem: str, key_pem: str) -> CertificateFacts:
    """The facts of the first certificate of ``cert_pem``; raises :class:`InvalidCertificate`
    when it does not parse or ``key_pem`` is not its private key."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode("utf-8"))
    except ValueError as exc:
        raise InvalidCertificate(f"Cert is not a PEM certificate: {exc}") from None
    try:
        key = serialization.load_pem_private_key(key_pem.encode("utf-8"), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidCertificate(f"Key is not an unencrypted PEM private key: {exc}") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != cert.public_key().public_bytes(encoding, public):
        raise InvalidCertificate("Key is not the private key of Cert")
    try:
        alternative = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [str(n) for n in alternative.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        sans = []
    common = _name_part(cert.subject, NameOID.COMMON_NAME) or (sans[0] if sans else "")
    issuer = _name_part(cert.issuer, NameOID.ORGANIZATION_NAME)
    issuer = issuer or _name_part(cert.issuer, NameOID.COMMON_NAME)
    algorithm = "RSA" if "RSA" in type(key).__name__ else "ECC"
    return CertificateFacts(
        common=common,
        sans=sans or [common],
        issuer=issuer,
        org_name=_name_part(cert.subject, NameOID.ORGANIZATION_NAME),
        province=_name_part(cert.subject, NameOID.STATE_OR_PROVINCE_NAME),
        city=_name_part(cert.subject, NameOID.LOCALITY_NAME),
        country=_name_part(cert.subject, NameOID.COUNTRY_NAME),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=cert.fingerprint(hashes.SHA1()).hex().upper(),  # an identifier, as CAS shows it
        serial=format(cert.serial_number, "x"),
        algorithm=algorithm,
    )
