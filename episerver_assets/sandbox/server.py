"""The whole sandbox in one process: REST and SOAP on one HTTP port, SFTP over SSH on another.

`Sandbox(config).start()` generates the seeded data, starts every server on 127.0.0.1 and returns once
all of them listen; `info()` is what `episerver-assets sandbox` prints as one JSON line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount

from ..settings import (
    SANDBOX_API_USER, SANDBOX_CLIENT_ID, SANDBOX_ENRICHMENT_SECRET, SANDBOX_HOST, SANDBOX_HTTP_PORT, SANDBOX_PASSWORD,
    SANDBOX_SFTP_PORT, SANDBOX_SFTP_USER,
)
from .enrichment import EnrichmentService, build_enrichment_app
from .faults import FaultSwitch
from .generator import expire_old_files, populate, write_response_day
from .http import BackgroundHttpServer
from .pgp_files import SandboxPgp, response_encryptor
from .rest_app import build_rest_app
from .sftp_server import BackgroundSftpServer, closed_loop_directories, write_known_hosts
from .soap_app import build_soap_app
from .state import ClientAccount, SandboxState
from .subscriber_import import SubscriberImporter
from .webhooks import WebhookSender


@dataclass
class SandboxConfig:
    data_dir: Path
    seed: int = 7
    scale: str = "small"
    http_port: int = SANDBOX_HTTP_PORT
    sftp_port: int = SANDBOX_SFTP_PORT
    client_ids: list[int] = field(default_factory=lambda: [SANDBOX_CLIENT_ID])
    response_days: int = 7
    session_ttl_seconds: float = 1200.0
    import_interval_seconds: float = 600.0
    webhook_interval_seconds: float = 30.0
    today: dt.date | None = None
    pgp: SandboxPgp | None = None
    """Response days encrypted to a public key, and the key that decrypts uploaded subscriber files."""


class Sandbox:
    """A running local Campaign; use as a context manager or call start()/stop()."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.data_dir = config.data_dir.resolve()
        self.sftp_root = self.data_dir / "sftp"
        accounts = [ClientAccount(cid, SANDBOX_API_USER, SANDBOX_PASSWORD) for cid in config.client_ids]
        self.state = SandboxState(accounts)
        self.faults = FaultSwitch()
        self.enrichment = EnrichmentService()
        self._http: BackgroundHttpServer | None = None
        self._sftp: BackgroundSftpServer | None = None
        self._importers: list[SubscriberImporter] = []
        self.webhooks: dict[int, WebhookSender] = {}
        self._stopping = threading.Event()

    @property
    def client_ids(self) -> list[int]:
        return self.config.client_ids

    def client_dir(self, client_id: int) -> Path:
        """Closed-loop directories: directly under the SFTP root for one client, per client for several."""
        return self.directories[client_id].upload.parent

    def write_response_files(self, today: dt.date) -> None:
        """The last `response_days` days of response files, and expiry of anything older than 30 days."""
        for client_id in self.client_ids:
            directory = self.directories[client_id].response
            for back in range(1, self.config.response_days + 1):
                with self._response_encryptor(back) as encryptor:
                    write_response_day(directory, today - dt.timedelta(days=back), self.config.seed,
                                       self.config.scale, client_id=client_id, encryptor=encryptor)
            expire_old_files(directory, today)

    def _response_encryptor(self, days_back: int):
        pgp = self.config.pgp
        if pgp is None or pgp.public_key is None or days_back > pgp.encrypted_days:
            return contextlib.nullcontext(None)
        return response_encryptor(pgp)

    def start(self) -> Sandbox:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.directories = closed_loop_directories(self.sftp_root, self.client_ids)
        populate(self.state, self.config.seed, self.config.scale)
        today = self.config.today or dt.date.today()
        self.write_response_files(today)

        app = Starlette(routes=[
            Mount("/rest", app=build_rest_app(self.state, self.faults)),
            Mount("/soap11", app=build_soap_app(self.state, self.config.session_ttl_seconds)),
            Mount("/enrichment", app=build_enrichment_app(self.enrichment)),
        ])
        self._http = BackgroundHttpServer(app, port=self.config.http_port).start()
        self._sftp = BackgroundSftpServer(
            self.sftp_root,
            port=self.config.sftp_port,
            users={SANDBOX_SFTP_USER: SANDBOX_PASSWORD},
            host_key_path=self.data_dir / "ssh_host_ed25519_key",
        ).start()
        write_known_hosts(self.known_hosts_path, self._sftp)
        for client_id in self.client_ids:
            importer = SubscriberImporter(self.state.client(client_id), self.directories[client_id].upload,
                                          interval_seconds=self.config.import_interval_seconds,
                                          pgp=self.config.pgp)
            importer.start()
            self._importers.append(importer)
            sender = WebhookSender(self.state.client(client_id), seed=self.config.seed,
                                   interval_seconds=self.config.webhook_interval_seconds)
            sender.start()
            self.webhooks[client_id] = sender
        return self

    @property
    def known_hosts_path(self) -> Path:
        return self.data_dir / "known_hosts"

    @property
    def http_base_url(self) -> str:
        assert self._http is not None, "sandbox not started"
        return self._http.base_url

    @property
    def sftp_port(self) -> int:
        assert self._sftp is not None, "sandbox not started"
        return self._sftp.port

    def info(self) -> dict:
        """Connection facts, and the environment that points the code location at this sandbox."""
        client_id = self.client_ids[0]
        rest_url, soap_url = f"{self.http_base_url}/rest", f"{self.http_base_url}/soap11"
        env = {
            "EPISERVER_REST_URL": rest_url,
            "EPISERVER_SOAP_URL": soap_url,
            "EPISERVER_CLIENT_ID": str(client_id),
            "EPISERVER_API_USER": SANDBOX_API_USER,
            "EPISERVER_API_PASSWORD": SANDBOX_PASSWORD,
            "EPISERVER_SFTP_HOST": SANDBOX_HOST,
            "EPISERVER_SFTP_PORT": str(self.sftp_port),
            "EPISERVER_SFTP_USER": SANDBOX_SFTP_USER,
            "EPISERVER_SFTP_PASSWORD": SANDBOX_PASSWORD,
            "EPISERVER_SFTP_KNOWN_HOSTS": str(self.known_hosts_path),
            "EPISERVER_SFTP_RESPONSE_DIR": str(self.client_dir(client_id).relative_to(self.sftp_root) / "response"),
            "EPISERVER_SFTP_UPLOAD_DIR": str(self.client_dir(client_id).relative_to(self.sftp_root) / "upload"),
            "EPISERVER_ENRICHMENT_SANDBOX_URL": f"{self.http_base_url}/enrichment",
            "EPISERVER_ENRICHMENT_SANDBOX_SECRET": SANDBOX_ENRICHMENT_SECRET,
        }
        return {
            "rest_url": rest_url,
            "soap_url": soap_url,
            "client_id": client_id,
            "client_ids": self.client_ids,
            "api_user": SANDBOX_API_USER,
            "api_password": SANDBOX_PASSWORD,
            "sftp_host": SANDBOX_HOST,
            "sftp_port": self.sftp_port,
            "sftp_user": SANDBOX_SFTP_USER,
            "sftp_password": SANDBOX_PASSWORD,
            "sftp_host_key_fingerprint": self._sftp.host_key_fingerprint,
            "data_dir": str(self.data_dir),
            "env": env,
        }

    def stop(self) -> None:
        for sender in self.webhooks.values():
            sender.stop()
        for importer in self._importers:
            importer.stop()
        if self._sftp:
            self._sftp.stop()
        if self._http:
            self._http.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
