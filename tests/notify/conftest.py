"""A real SMTP server on loopback, and a store with one operator."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from exsync.config import (
    Config,
    ExchangeSettings,
    NotificationSettings,
    Secret,
    SmtpSettings,
)
from exsync.store import open_store

OPERATOR_ID = "op-1"
OPERATOR_EMAIL = "alice@example.com"
SMTP_USER = "mailer"
SMTP_PASSWORD = "s3cret-Pässword"


def free_port() -> int:
    """A TCP port nothing listens on at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbag:
    """What the SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    reply: str = "250 Message accepted for delivery"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.reply.startswith("250"):
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )
        return self.reply

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == SMTP_USER.encode() and (
            auth_data.password == SMTP_PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def mailbag() -> Mailbag:
    return Mailbag()


@pytest.fixture
def smtp_server(mailbag):
    """A plain SMTP server on loopback; yields its port."""
    controller = Controller(mailbag, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port
    controller.stop()


@dataclass
class Tls:
    ca_file: Path
    server_context: ssl.SSLContext


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, issuer_cert):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
    )
    if ca:
        builder = builder.add_extension(
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
    else:
        builder = (
            builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer_cert.public_key()
                ),
                critical=False,
            )
        )
    return builder.sign(signing_key, hashes.SHA256())


def make_tls(folder: Path) -> Tls:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exsync test CA")])
    ca_cert = _certificate(
        ca_name, ca_name, ca_key.public_key(), ca_key, ca=True, issuer_cert=None
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = _certificate(
        name, ca_name, key.public_key(), ca_key, ca=False, issuer_cert=ca_cert
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file)
    return Tls(ca_file, context)


@pytest.fixture
def tls(tmp_path) -> Tls:
    return make_tls(tmp_path)


@pytest.fixture
def starttls_server(mailbag, tls):
    """An SMTP server that insists on STARTTLS and a login; yields its port."""
    controller = Controller(
        mailbag,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=tls.server_context,
        require_starttls=True,
        authenticator=mailbag.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield controller.port
    controller.stop()


@pytest.fixture
def db(tmp_path):
    """A migrated store holding the operator alice@example.com."""
    store = open_store(tmp_path / "exsync.db")
    store["operators"].insert(
        {
            "id": OPERATOR_ID,
            "name": "Alice Jürgens",
            "email": OPERATOR_EMAIL,
            "email_key": OPERATOR_EMAIL,
        }
    )
    yield store
    store.close()


def make_config(port: int, **smtp) -> Config:
    """Settings that send failure emails to admin@example.com through ``port``."""
    return Config(
        exchange=ExchangeSettings(url="http://127.0.0.1:1/EWS/Exchange.asmx"),
        notifications=NotificationSettings(
            frequency_minutes=30,
            failure_recipients=("admin@example.com", "ops@example.com"),
        ),
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender="exsync@example.com",
            timeout_seconds=5,
            **smtp,
        ),
    )


def login_settings() -> dict:
    return {
        "starttls": True,
        "username": SMTP_USER,
        "password": Secret(env="EXSYNC_TEST_SMTP_PASSWORD"),
    }
