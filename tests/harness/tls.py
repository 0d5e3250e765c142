# -*- coding: utf-8 -*-
"""TLS material for a Flink REST endpoint on 127.0.0.1: a self-signed certificate (SAN ``IP:127.0.0.1``, ``localhost``)
as PEM files for the client side and as PKCS12 key and trust stores for Flink (``security.ssl.rest.*``).

The keystore is written by ``cryptography`` with the legacy PKCS12 encryption every JDK reads; the truststore by the
JDK's ``keytool`` (a certificate-only PKCS12 entry is trusted by Java only when keytool wrote it).
"""

import datetime
import ipaddress
import os
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = "flinkops-test"


class TlsMaterial:
    """Paths of ``cert`` / ``key`` (PEM), ``keystore`` / ``truststore`` (PKCS12, :data:`PASSWORD`); ``mutual``: the
    REST endpoint also demands a client certificate (the same one: the truststore holds it)."""

    def __init__(self, directory, mutual=False):
        self.directory = directory
        self.mutual = mutual
        self.cert = os.path.join(directory, "rest-cert.pem")
        self.key = os.path.join(directory, "rest-key.pem")
        self.keystore = os.path.join(directory, "rest-keystore.p12")
        self.truststore = os.path.join(directory, "rest-truststore.p12")
        self.password = PASSWORD

    def flink_config(self):
        """The ``security.ssl.rest.*`` keys of a JobManager serving its REST API with this material."""
        config = {
            "security.ssl.rest.enabled": True,
            "security.ssl.rest.keystore": self.keystore,
            "security.ssl.rest.keystore-password": self.password,
            "security.ssl.rest.key-password": self.password,
            "security.ssl.rest.truststore": self.truststore,
            "security.ssl.rest.truststore-password": self.password,
            # Flink's default suite (TLS_RSA_WITH_AES_128_CBC_SHA) is refused by current OpenSSL clients
            "security.ssl.algorithms": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        }
        if self.mutual:
            config["security.ssl.rest.authentication-enabled"] = True
        return config

    def requests_kwargs(self):
        """``verify`` / ``cert`` for the harness's own ``requests`` calls."""
        return dict(verify=self.cert, cert=(self.cert, self.key) if self.mutual else None)


def self_signed_cert(cert_path, key_path):
    """Write a self-signed certificate for ``127.0.0.1`` / ``localhost`` and its key (PEM); returns ``(cert, key)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u"127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(u"127.0.0.1")),
                                                        x509.DNSName(u"localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert, key


def make_tls(directory, mutual=False, keytool="keytool"):
    """Write a fresh :class:`TlsMaterial` into ``directory`` and return it."""
    os.makedirs(directory, exist_ok=True)
    material = TlsMaterial(directory, mutual=mutual)
    cert, key = self_signed_cert(material.cert, material.key)
    legacy = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50000)
              .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1())
              .build(material.password.encode("ascii")))
    with open(material.keystore, "wb") as handle:
        handle.write(pkcs12.serialize_key_and_certificates(b"rest", key, cert, None, legacy))
    if os.path.exists(material.truststore):
        os.unlink(material.truststore)
    subprocess.run([keytool, "-importcert", "-noprompt", "-alias", "rest", "-file", material.cert, "-keystore",
                    material.truststore, "-storetype", "PKCS12", "-storepass", material.password],
                   check=True, capture_output=True, timeout=60)
    return material
