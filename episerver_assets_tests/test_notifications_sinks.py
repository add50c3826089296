"""Each sink delivers over a real loopback socket; a sink that fails is one log line and the asset succeeds."""

from __future__ import annotations

import email
import email.policy
import socket
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from .notifications_support import (  # noqa: F401 (fixtures)
    Inbox, configure, free_port, notify_from_asset, self_signed_certificate, smtp_server, webhook_server,
)

FIELDS = {"error": "the new selection is empty", "recipient_list_id": 58001000000}
SECRET_PATH = "/hooks/T000/B000/s3cr3t-path-token"


def test_without_a_file_the_run_log_gets_the_built_in_template(tmp_path, monkeypatch):
    monkeypatch.delenv("EPISERVER_NOTIFICATIONS_CONFIG", raising=False)
    result, log = notify_from_asset("clear_refused", {**FIELDS, "error": "ann@example.com was refused"})
    assert result.success
    [message] = [line for line in log if line.startswith("notification clear_refused")]
    subject, body = message.split("\n")
    assert subject == "notification clear_refused: notifying_asset: refused to clear recipient list 58001000000"
    assert body.startswith(f"Run {result.run_id} of __ephemeral_asset_job__ at 20")
    assert body.endswith(": *** was refused") and "ann@example.com" not in message  # addresses are masked


def test_a_webhook_receives_the_notification_as_json(tmp_path, monkeypatch, webhook_server):
    url, webhook = webhook_server
    monkeypatch.setenv("NOTIFY_WEBHOOK_AUTH", "Bearer very-secret-token")
    configure(tmp_path, monkeypatch, f"""
templates:
  clear_refused:
    subject: "List {{{{ .recipient_list_id }}}} kept"
    body: "{{{{ .error }}}} ({{{{ .asset }}}}, run {{{{ .run_id }}}})"
sinks:
  - type: run_log
  - type: webhook
    url: {url}{SECRET_PATH}
    auth_env: NOTIFY_WEBHOOK_AUTH
""")
    result, log = notify_from_asset("clear_refused", FIELDS)

    assert result.success and webhook.received.is_set()
    [request] = webhook.requests
    assert request["path"] == SECRET_PATH
    assert request["headers"]["Authorization"] == "Bearer very-secret-token"
    payload = request["json"]
    assert payload["kind"] == "clear_refused" and payload["subject"] == "List 58001000000 kept"
    assert payload["body"] == f"the new selection is empty (notifying_asset, run {result.run_id})"
    assert payload["run"]["run_id"] == result.run_id and payload["run"]["asset"] == "notifying_asset"
    assert f"notification clear_refused sent to the run log, webhook {url}" in log
    assert not any("very-secret-token" in line or "s3cr3t" in line for line in log)


def test_a_webhook_answering_500_is_logged_and_the_asset_succeeds(tmp_path, monkeypatch, webhook_server):
    url, webhook = webhook_server
    webhook.status, webhook.answer = 500, b"internal error"
    monkeypatch.setenv("NOTIFY_WEBHOOK_AUTH", "Bearer very-secret-token")
    configure(tmp_path, monkeypatch, f"""
sinks:
  - type: webhook
    url: {url}{SECRET_PATH}
    auth_env: NOTIFY_WEBHOOK_AUTH
  - type: run_log
""")
    result, log = notify_from_asset("import_failed", {"error": "2 files failed"})

    assert result.success and webhook.received.is_set()
    assert f"notification import_failed not delivered: webhook {url}: HTTP 500" in log
    assert any(line.startswith("notification import_failed: notifying_asset: import failed") for line in log)
    assert not any("very-secret-token" in line or "s3cr3t" in line for line in log)


def test_a_refused_connection_and_an_oversized_answer_are_logged(tmp_path, monkeypatch, webhook_server):
    url, webhook = webhook_server
    webhook.status, webhook.answer = 200, b"x" * 5000
    closed = f"http://127.0.0.1:{free_port()}"
    configure(tmp_path, monkeypatch, f"""
sinks:
  - type: webhook
    url: {closed}{SECRET_PATH}
  - type: webhook
    url: {url}/answer
    max_response_bytes: 1000
""")
    result, log = notify_from_asset("recipients_deleted", {"deleted": 3, "lists": "1, 2"})

    assert result.success
    assert f"notification recipients_deleted not delivered: webhook {closed}: ConnectError" in log
    assert f"notification recipients_deleted not delivered: webhook {url}: answer larger than 1000 bytes" in log
    assert len(webhook.requests) == 1


def email_config(port: int, extra: str = "") -> str:
    return f"""
sinks:
  - type: email
    host: 127.0.0.1
    port: {port}
    security: none
    sender: platform@example.com
    recipients: [crm-team@example.com, ops@example.com]
    timeout_seconds: 10
{extra}"""


def test_an_email_reaches_the_smtp_server(tmp_path, monkeypatch, smtp_server):
    controller, inbox = smtp_server
    configure(tmp_path, monkeypatch, email_config(controller.port))
    result, log = notify_from_asset("recipients_deleted", {"deleted": 3, "lists": "58001000000"})

    assert result.success
    [envelope] = inbox.messages
    assert envelope.mail_from == "platform@example.com"
    assert envelope.rcpt_tos == ["crm-team@example.com", "ops@example.com"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "notifying_asset: 3 recipients deleted in Campaign"
    assert message["To"] == "crm-team@example.com, ops@example.com"
    body = message.get_content()
    assert body.startswith(f"Run {result.run_id} of __ephemeral_asset_job__ at ")
    assert body.rstrip().endswith(": a full pass marked 3 recipients deleted in lists 58001000000")
    assert f"notification recipients_deleted sent to e-mail via 127.0.0.1:{controller.port}" in log


def test_starttls_and_login_with_credentials_from_the_environment(tmp_path, monkeypatch):
    import ssl

    certificate, key = self_signed_certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certificate, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"smtp-pass-123", handled=False)  # False: reply 535

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=tls, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        monkeypatch.setenv("SMTP_USER", "platform")
        monkeypatch.setenv("SMTP_PASSWORD", "smtp-pass-123")
        extra = (f"    security: starttls\n    ca_file: {certificate}\n"
                 "    username_env: SMTP_USER\n    password_env: SMTP_PASSWORD\n")
        configure(tmp_path, monkeypatch, email_config(controller.port).replace("    security: none\n", "") + extra)
        result, log = notify_from_asset("import_failed", {"error": "1 file failed"})
        assert result.success and len(inbox.messages) == 1 and logins == [(b"platform", b"smtp-pass-123")]

        monkeypatch.setenv("SMTP_PASSWORD", "wrong-pass-456")  # read at each send
        result, log = notify_from_asset("import_failed", {"error": "1 file failed"})
    finally:
        controller.stop()
    assert result.success and len(inbox.messages) == 1
    assert f"notification import_failed not delivered: e-mail via 127.0.0.1:{controller.port}: " \
           "SMTPAuthenticationError (SMTP 535)" in log
    assert not any("smtp-pass-123" in line or "wrong-pass-456" in line for line in log)


def test_an_smtp_server_refusing_or_absent_is_logged_without_addresses(tmp_path, monkeypatch, smtp_server):
    controller, inbox = smtp_server
    inbox.refuse = True
    absent = free_port()
    configure(tmp_path, monkeypatch, email_config(controller.port) + email_config(absent).replace("sinks:\n", ""))
    result, log = notify_from_asset("enrichment_failing", {"error": "HTTP 500 for 12 profiles", "failed": 12})

    assert result.success and inbox.messages == []
    failures = [line for line in log if "not delivered" in line]
    assert failures == [
        f"notification enrichment_failing not delivered: e-mail via 127.0.0.1:{controller.port}: "
        "every recipient refused (SMTP [550])",
        f"notification enrichment_failing not delivered: e-mail via 127.0.0.1:{absent}: Connection refused",
    ]
    assert not any("@" in line for line in log)


def test_a_template_that_cannot_render_falls_back_to_the_built_in_one(tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, """
templates:
  plan_refused:
    subject: '{{ if lt .rows 10 }}few{{ end }} rows'
""")
    result, log = notify_from_asset("plan_refused", {"rows": "ten", "error": "the plan drops 40% of the audience"})

    assert result.success
    assert ("notification plan_refused: template plan_refused.subject: line 1, column 7: error calling lt: "
            "incompatible types for comparison; the built-in template is used instead") in log
    assert any(line.startswith("notification plan_refused: notifying_asset: plan refused\n") for line in log)


def test_a_webhook_that_never_answers_is_given_up_at_its_deadline(tmp_path, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody ever answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        configure(tmp_path, monkeypatch, f"sinks:\n  - type: webhook\n    url: {url}/x\n    timeout_seconds: 0.5\n")
        started = time.monotonic()
        result, log = notify_from_asset("import_failed", {"error": "1 file failed"})
        elapsed = time.monotonic() - started
    assert result.success
    assert f"notification import_failed not delivered: webhook {url}: no answer within 0.5 s" in log
    assert elapsed < 10
