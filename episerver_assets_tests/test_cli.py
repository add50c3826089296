"""The `episerver-assets` command as a user runs it: sandbox, doctor, demo."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.cli import main

REQUIRED_KEYS = {
    "rest_url", "soap_url", "client_id", "api_user", "api_password", "sftp_host", "sftp_port", "sftp_user",
    "sftp_password", "sftp_host_key_fingerprint", "data_dir", "env",
}


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        process.kill()
        raise AssertionError(f"no JSON line within {timeout}s; stderr: {process.stderr.read()[-2000:]}") from None


@pytest.fixture
def sandbox_process(tmp_path):
    data_dir = tmp_path / "sandbox"
    process = subprocess.Popen(
        [sys.executable, "-m", "episerver_assets.cli", "sandbox", "--data-dir", str(data_dir),
         "--http-port", "0", "--sftp-port", "0", "--days", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        info = json.loads(_first_line(process, timeout=120))
        yield process, info, data_dir
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_sandbox_command_prints_its_connection_facts_and_serves_its_data_dir(sandbox_process):
    process, info, data_dir = sandbox_process
    assert REQUIRED_KEYS <= set(info)
    assert info["data_dir"] == str(data_dir.resolve())

    lists = httpx.get(f"{info['rest_url']}/{info['client_id']}/recipientlists",
                      auth=(info["api_user"], info["api_password"]))
    assert lists.status_code == 200 and lists.json()["elements"]
    wsdl = httpx.get(f"{info['soap_url']}/RpcSession?wsdl")
    assert f"{info['soap_url']}/RpcSession" in wsdl.text

    placed = data_dir / "sftp" / "response" / "20260101_placed_by_hand.csv"
    placed.write_text('"a";"b"\n"1";"2"\n', encoding="utf-8")
    sftp = CampaignSftpResource(host=info["sftp_host"], port=info["sftp_port"], username=info["sftp_user"],
                                password=info["sftp_password"],
                                known_hosts_path=info["env"]["EPISERVER_SFTP_KNOWN_HOSTS"])
    assert "20260101_placed_by_hand.csv" in {f.name for f in sftp.list("response", "*.csv")}
    pinned = CampaignSftpResource(host=info["sftp_host"], port=info["sftp_port"], username=info["sftp_user"],
                                  password=info["sftp_password"],
                                  host_key_fingerprint=info["sftp_host_key_fingerprint"])
    assert pinned.check().response_file_count >= 16

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_doctor_is_green_against_a_running_sandbox_and_masks_secrets(sandbox_process):
    _, info, _ = sandbox_process
    env = {**os.environ, **info["env"], "EPISERVER_DATA_DIR": str(Path(info["data_dir"]).parent)}
    done = subprocess.run([sys.executable, "-m", "episerver_assets.cli", "doctor"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("OK  ") == 4
    assert info["api_password"] not in done.stdout + done.stderr


def test_doctor_fails_on_a_wrong_password_without_printing_it(sandbox_process):
    _, info, _ = sandbox_process
    env = {**os.environ, **info["env"], "EPISERVER_DATA_DIR": str(Path(info["data_dir"]).parent),
           "EPISERVER_API_PASSWORD": "wrong-Pa55word"}
    done = subprocess.run([sys.executable, "-m", "episerver_assets.cli", "doctor"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "FAIL  rest" in done.stdout and "FAIL  soap" in done.stdout
    assert "wrong-Pa55word" not in done.stdout + done.stderr


def test_demo_loads_its_own_sandbox_quietly_labels_its_runs_and_sets_the_ui_start_date(tmp_path, monkeypatch, capsys):
    import datetime as dt

    import dagster as dg

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EPISERVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    for name in [n for n in os.environ if n.startswith("EPISERVER_") and n != "EPISERVER_DATA_DIR"]:
        monkeypatch.delenv(name)
    (tmp_path / ".env").write_text("MY_OWN=1\n", encoding="utf-8")

    assert main(["demo", "--days", "2"]) == 0

    captured = capsys.readouterr()
    assert "INFO" not in captured.out + captured.err
    stages = [line for line in captured.out.splitlines() if " ... " in line]
    assert [line.split(" ... ")[1].split()[0] for line in stages] == ["ok"] * len(stages)
    assert stages[3].startswith("loading 2 days") and "rows" in stages[3]
    firsts = iter(line.split(" ... ")[0].split()[0] for line in stages[4:])
    expected = ["importing", "registering", "the", "adding", "building", "writing", "computing",
                "CRM", "export", "export", "closed-loop"]
    assert all(word in firsts for word in expected), [line.split(" ... ")[0] for line in stages]  # in this order
    assert "0 deliveries not acknowledged" in stages[6]
    exports = [line for line in stages if line.startswith("export ")]
    assert all(" sent" in line for line in exports), exports
    assert len(captured.out.splitlines()) < 60
    assert "closed_loop.mailing_recipients" in captured.out and "0 failed" in captured.out
    summary_rows = dict(line.split() for line in captured.out.splitlines()
                        if line.startswith(("campaign.", "activity.", "profiles.", "crm.", "audiences.",
                                            "crm_refresh.", "exports.")))
    for table in ("campaign.episerver_recipients", "activity.episerver_activity", "profiles.user_profiles",
                  "crm.contacts", "audiences.audience_members", "crm_refresh.refresh_runs",
                  "exports.owned_members", "exports.sync_results"):
        assert int(summary_rows[table].replace(",", "")) > 0, table
    assert summary_rows["activity.episerver_activity_rejects"] == "0"
    assert (tmp_path / "data" / "warehouse.duckdb").exists()
    assert (tmp_path / "data" / "demo-sandbox").is_dir() and not (tmp_path / "data" / "sandbox").exists()

    first_day = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    env_lines = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert env_lines[0] == "MY_OWN=1" and f"EPISERVER_CLOSED_LOOP_START_DATE={first_day}" in env_lines
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_run_records()
    assert runs and all(r.dagster_run.tags.get("episerver/launched_by") == "demo" for r in runs)
