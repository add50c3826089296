"""A bad setting or an unreachable warehouse ends the command in one line, with no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from episerver_assets.resources import shared_resources
from episerver_assets.settings import SettingError

SECRET_DB_PASSWORD, SECRET_API_PASSWORD, SECRET_SFTP_PASSWORD = "S3cretPw", "Api-S3cret-77", "Sftp-S3cret-88"
UNREACHABLE_WAREHOUSE = f"postgresql://u:{SECRET_DB_PASSWORD}@127.0.0.1:1/db"


def _cli(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EPISERVER_")}
    clean.update(EPISERVER_DATA_DIR=str(tmp_path / "data"), DAGSTER_HOME=str(tmp_path / "dagster_home"), **env)
    return subprocess.run([sys.executable, "-m", "episerver_assets.cli", *args], env=clean, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def _one_line_error(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_non_numeric_sftp_port_ends_doctor_in_one_line_naming_it(tmp_path):
    done = _cli("doctor", tmp_path=tmp_path, EPISERVER_SFTP_PORT="twenty-two")
    assert done.returncode == 2
    assert done.stdout == ""
    line = _one_line_error(done)
    assert "EPISERVER_SFTP_PORT" in line and "'twenty-two'" in line


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["doctor", "--help"]])
def test_help_works_whatever_the_environment(tmp_path, args):
    done = _cli(*args, tmp_path=tmp_path, EPISERVER_SFTP_PORT="twenty-two",
                EPISERVER_CLOSED_LOOP_START_DATE="yesterday")
    assert done.returncode == 0, done.stderr
    assert "usage: episerver-assets" in done.stdout


def test_demo_with_an_unreachable_warehouse_fails_in_one_line_before_starting_the_sandbox(tmp_path):
    done = _cli("demo", "--days", "1", tmp_path=tmp_path, EPISERVER_WAREHOUSE_URL=UNREACHABLE_WAREHOUSE)
    assert done.returncode == 1
    line = _one_line_error(done)
    assert "EPISERVER_WAREHOUSE_URL" in line and "127.0.0.1:1" in line
    assert SECRET_DB_PASSWORD not in done.stdout + done.stderr
    assert "sandbox" not in done.stdout
    assert not (tmp_path / "data" / "demo-sandbox").exists()


def test_doctor_masks_every_password_and_marks_defaults(tmp_path):
    done = _cli("doctor", tmp_path=tmp_path, EPISERVER_WAREHOUSE_URL=UNREACHABLE_WAREHOUSE,
                EPISERVER_API_PASSWORD=SECRET_API_PASSWORD, EPISERVER_SFTP_PASSWORD=SECRET_SFTP_PASSWORD,
                EPISERVER_REST_URL="http://127.0.0.1:1/rest", EPISERVER_SOAP_URL="http://127.0.0.1:1/soap11")
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    for secret in (SECRET_DB_PASSWORD, SECRET_API_PASSWORD, SECRET_SFTP_PASSWORD):
        assert secret not in output
    assert "EPISERVER_WAREHOUSE_URL = postgresql://u:***@127.0.0.1:1/db\n" in done.stdout
    assert "EPISERVER_SFTP_PORT = 8022  (default)" in done.stdout
    assert "EPISERVER_API_PASSWORD = ****\n" in done.stdout
    assert "FAIL  warehouse: " in done.stdout


def test_doctor_without_a_sandbox_says_how_to_start_one_and_keeps_each_failure_on_one_line(tmp_path):
    done = _cli("doctor", tmp_path=tmp_path)
    assert done.returncode == 1
    checks = done.stdout.split("Checks:\n", 1)[1].splitlines()
    failures = [line for line in checks if line.startswith("  FAIL")]
    assert {line.split(":")[0].split()[-1] for line in failures} == {"rest", "soap", "sftp"}
    soap = next(line for line in failures if "soap:" in line)
    assert soap.endswith("connection refused") and "HTTPConnectionPool" not in soap
    assert "`episerver-assets sandbox`" in done.stdout


def test_the_code_location_names_a_bad_setting(monkeypatch):
    monkeypatch.setenv("EPISERVER_SFTP_PORT", "twenty-two")
    with pytest.raises(SettingError, match="^EPISERVER_SFTP_PORT must be a TCP port"):
        shared_resources()


def test_the_code_location_names_a_bad_start_date_at_load(tmp_path):
    load = "from episerver_assets.definitions import build_definitions; build_definitions()"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EPISERVER_")}
    done = subprocess.run([sys.executable, "-c", load], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**clean, "EPISERVER_CLOSED_LOOP_START_DATE": "2026-13-01"})
    assert done.returncode != 0
    assert "SettingError: EPISERVER_CLOSED_LOOP_START_DATE must be a date as YYYY-MM-DD, got '2026-13-01'" in done.stderr


def test_a_sandbox_on_a_taken_port_fails_in_one_line_naming_the_option(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _cli("sandbox", "--http-port", str(port), "--sftp-port", "0", tmp_path=tmp_path)
    assert done.returncode == 1
    line = _one_line_error(done)
    assert f"--http-port {port}" in line and "in use" in line
    assert not (tmp_path / "data" / "sandbox").exists()
