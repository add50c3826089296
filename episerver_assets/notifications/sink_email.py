"""The e-mail sink: the notification as a plain-text message over SMTP (STARTTLS, SMTPS or plain).

Credentials come from environment variables named in the config. Failures name the SMTP server and
the reply code only: a server's reply text can quote the sender or recipient addresses.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

import dagster as dg
from pydantic import Field

from .sink_base import Notification, SinkConfig, SinkError


class EmailSink(SinkConfig):
    type: Literal["email"]
    host: str
    port: int = Field(default=587, gt=0, lt=65536)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    ca_file: str | None = Field(default=None, description="CA certificates to trust (default: the system's)")
    sender: str
    recipients: list[str] = Field(min_length=1)
    username_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = Field(default=30, gt=0, le=300, description="deadline of each SMTP exchange")

    def describe(self) -> str:
        return f"e-mail via {self.host}:{self.port}"

    def _message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = " ".join(notification.subject.split())  # a header is one line
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(notification.body or notification.subject)
        return message

    def _credentials(self) -> tuple[str, str] | None:
        if self.username_env is None:
            return None
        username, password = os.environ.get(self.username_env), os.environ.get(self.password_env or "")
        if not username or not password:
            raise SinkError(f"{self.describe()}: {self.username_env} and {self.password_env} must both be set")
        return username, password

    def send(self, notification: Notification, log: dg.DagsterLogManager) -> None:
        tls = ssl.create_default_context(cafile=self.ca_file)
        try:
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_seconds, context=tls)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=tls)
                if credentials := self._credentials():
                    smtp.login(*credentials)
                smtp.send_message(self._message(notification))
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise SinkError(f"{self.describe()}: every recipient refused (SMTP {codes})") from None
        except smtplib.SMTPResponseException as error:
            raise SinkError(f"{self.describe()}: {type(error).__name__} (SMTP {error.smtp_code})") from None
        except (smtplib.SMTPException, OSError) as error:
            reason = getattr(error, "strerror", None) or type(error).__name__
            raise SinkError(f"{self.describe()}: {reason}") from None
