"""The whole sandbox in one process: every server up, and one SFTP sub-directory per client."""

from __future__ import annotations

import datetime as dt

import httpx

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.sandbox.server import Sandbox, SandboxConfig


def test_several_clients_each_get_their_own_directories_and_credentials(tmp_path):
    config = SandboxConfig(tmp_path / "sandbox", http_port=0, sftp_port=0, client_ids=[1000, 2000],
                           response_days=1, today=dt.date(2026, 11, 20))
    with Sandbox(config) as sandbox:
        info = sandbox.info()
        assert info["env"]["EPISERVER_SFTP_RESPONSE_DIR"] == "1000/response"
        sftp = CampaignSftpResource(port=info["sftp_port"], username=info["sftp_user"],
                                    password=info["sftp_password"],
                                    host_key_fingerprint=info["sftp_host_key_fingerprint"])
        for client_id in (1000, 2000):
            names = {f.name for f in sftp.list(f"{client_id}/response", "*.csv")}
            assert len(names) == 8 and "20261119_clicks.csv" in names
            assert (sandbox.sftp_root / str(client_id) / "upload").is_dir()
            lists = httpx.get(f"{info['rest_url']}/{client_id}/recipientlists",
                              auth=(info["api_user"], info["api_password"]))
            assert lists.status_code == 200
        assert httpx.get(f"{info['rest_url']}/3000/recipientlists",
                         auth=(info["api_user"], info["api_password"])).status_code == 401
        mailings = (sandbox.sftp_root / "2000" / "response" / "20261119_mailings.csv").read_text()
        assert '"2000"' in mailings.splitlines()[1]


def test_restart_on_the_same_data_dir_keeps_the_host_key(tmp_path):
    def fingerprint() -> str:
        config = SandboxConfig(tmp_path / "sandbox", http_port=0, sftp_port=0, response_days=1)
        with Sandbox(config) as sandbox:
            return sandbox.info()["sftp_host_key_fingerprint"]

    assert fingerprint() == fingerprint()
