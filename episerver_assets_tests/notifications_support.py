"""Loopback servers for the notification sinks (an SMTP server from aiosmtpd, an HTTP server for the
webhook), and a way to notify from a real asset run and read back its run log."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from episerver_assets.notifications import notify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """aiosmtpd handler: keeps each accepted message; refuses recipients when `refuse` is set."""

    messages: list = field(default_factory=list)
    refuse: bool = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@dataclass
class Webhook:
    """What the loopback HTTP server received, and how it answers."""

    requests: list = field(default_factory=list)
    status: int = 204
    answer: bytes = b""
    received: threading.Event = field(default_factory=threading.Event)


def _handler(webhook: Webhook):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            webhook.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
            self.send_response(webhook.status)
            self.send_header("Content-Length", str(len(webhook.answer)))
            self.end_headers()
            self.wfile.write(webhook.answer)
            webhook.received.set()

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture
def webhook_server():
    webhook = Webhook()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(webhook))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", webhook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "notifications.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("EPISERVER_NOTIFICATIONS_CONFIG", str(path))
    return path


def notify_from_asset(kind: str, fields: dict) -> tuple[dg.ExecuteInProcessResult, list[str]]:
    """Materialize an asset that notifies and then succeeds; the run's result and its log messages."""

    @dg.asset
    def notifying_asset(context) -> dg.MaterializeResult:  # (annotations are strings here: Dagster refuses them)
        notify(context, kind, fields)
        return dg.MaterializeResult(metadata={"notified": True})

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([notifying_asset], instance=instance, raise_on_error=False)
        return result, run_log(instance, result.run_id)


def run_log(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(run_id) if entry.dagster_event is None]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, made here: no key material lives in the repository."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
