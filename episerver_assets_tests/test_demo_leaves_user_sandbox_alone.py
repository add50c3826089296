"""The demo's sandbox never disturbs a sandbox the user started, and the demo's `.env` block keeps user lines."""

from __future__ import annotations

import datetime as dt

import httpx

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.commands.demo import demo_sandbox_config
from episerver_assets.commands.demo_env import BEGIN, END, update_demo_env
from episerver_assets.sandbox.server import Sandbox, SandboxConfig
from episerver_assets.settings import sandbox_data_dir


def _sftp(info: dict) -> CampaignSftpResource:
    return CampaignSftpResource(host=info["sftp_host"], port=info["sftp_port"], username=info["sftp_user"],
                                password=info["sftp_password"],
                                known_hosts_path=info["env"]["EPISERVER_SFTP_KNOWN_HOSTS"], max_attempts=1)


def test_a_running_user_sandbox_keeps_serving_after_the_demo_sandbox_starts_and_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("EPISERVER_DATA_DIR", str(tmp_path / "data"))
    today = dt.date(2026, 11, 20)
    user_config = SandboxConfig(sandbox_data_dir(), http_port=0, sftp_port=0, response_days=2, today=today)
    with Sandbox(user_config) as user_sandbox:
        info = user_sandbox.info()
        known_hosts = user_sandbox.known_hosts_path.read_bytes()
        files = {p: p.stat().st_mtime_ns for p in user_sandbox.sftp_root.rglob("*.csv")}

        demo_config = demo_sandbox_config(days=2, seed=11, scale="small", today=today)
        assert demo_config.data_dir.resolve() != user_sandbox.data_dir
        assert (demo_config.http_port, demo_config.sftp_port) == (0, 0)
        with Sandbox(demo_config) as demo_sandbox:
            assert demo_sandbox.sftp_port != user_sandbox.sftp_port

        assert user_sandbox.known_hosts_path.read_bytes() == known_hosts
        assert {p: p.stat().st_mtime_ns for p in user_sandbox.sftp_root.rglob("*.csv")} == files
        assert _sftp(info).check().response_file_count == len(files)
        lists = httpx.get(f"{info['rest_url']}/{info['client_id']}/recipientlists",
                          auth=(info["api_user"], info["api_password"]), timeout=10)
        assert lists.status_code == 200


def test_the_demo_block_in_env_keeps_user_lines_and_leaves_user_keys_alone(tmp_path):
    env = tmp_path / ".env"
    env.write_text("# mine\nEPISERVER_WAREHOUSE_URL=postgresql://me@db/x\n", encoding="utf-8")

    assert update_demo_env(env, {"EPISERVER_CLOSED_LOOP_START_DATE": "2026-11-01"}) == []
    assert update_demo_env(env, {"EPISERVER_CLOSED_LOOP_START_DATE": "2026-11-20"}) == []
    assert env.read_text(encoding="utf-8") == (
        "# mine\nEPISERVER_WAREHOUSE_URL=postgresql://me@db/x\n\n"
        f"{BEGIN}\nEPISERVER_CLOSED_LOOP_START_DATE=2026-11-20\n{END}\n"
    )

    env.write_text("export EPISERVER_CLOSED_LOOP_START_DATE=2025-06-01\n", encoding="utf-8")
    assert update_demo_env(env, {"EPISERVER_CLOSED_LOOP_START_DATE": "2026-11-20"}) == [
        "EPISERVER_CLOSED_LOOP_START_DATE"
    ]
    assert env.read_text(encoding="utf-8") == "export EPISERVER_CLOSED_LOOP_START_DATE=2025-06-01\n"


def test_the_demo_block_is_created_in_a_missing_env(tmp_path):
    env = tmp_path / ".env"
    update_demo_env(env, {"EPISERVER_CLOSED_LOOP_START_DATE": "2026-11-20"})
    assert env.read_text(encoding="utf-8") == f"{BEGIN}\nEPISERVER_CLOSED_LOOP_START_DATE=2026-11-20\n{END}\n"
