"""The settings module: every variable validated in one place, defaults marked, secrets kept as names."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from episerver_assets.settings import SETTINGS, SettingError, load_settings, setting_value

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_lists_every_setting():
    listed = set(re.findall(r"^(EPISERVER_[A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert set(SETTINGS) <= listed


@pytest.mark.parametrize(("name", "value", "words"), [
    ("EPISERVER_SFTP_PORT", "70000", "from 1 to 65535"),
    ("EPISERVER_CLIENT_ID", "acme", "numeric Campaign client id"),
    ("EPISERVER_SOAP_BATCH_SIZE", "20000", "from 1 to 10000"),
    ("EPISERVER_SOAP_READ_TIMEOUT", "-1", "above 0"),
    ("EPISERVER_PREVIEW_PERSONAL_DATA", "maybe", "true or false"),
    ("EPISERVER_CLOSED_LOOP_START_DATE", "01.11.2026", "YYYY-MM-DD"),
    ("EPISERVER_REST_URL", "ftp://x", "http:// or https://"),
    ("EPISERVER_WAREHOUSE_URL", "mysql://u:pw@db/x", "only duckdb:/// and postgresql://"),
    ("EPISERVER_SFTP_HOST_KEY_FINGERPRINT", "MD5:aa", "SHA256:"),
    ("EPISERVER_DUCKDB_MEMORY_LIMIT", "lots", "such as 512MB"),
])
def test_a_bad_value_is_one_line_naming_the_variable(name, value, words):
    with pytest.raises(SettingError) as bad:
        load_settings({name: value})
    message = str(bad.value)
    assert message.startswith(f"{name} ") and words in message and "\n" not in message


def test_a_bad_warehouse_url_never_echoes_its_password():
    with pytest.raises(SettingError) as bad:
        load_settings({"EPISERVER_WAREHOUSE_URL": "mysql://u:S3cretPw@db/x"})
    assert "S3cretPw" not in str(bad.value)


def test_defaults_are_marked_and_secrets_stay_env_var_references(tmp_path):
    settings = load_settings({"EPISERVER_DATA_DIR": str(tmp_path), "EPISERVER_API_PASSWORD": "set",
                              "EPISERVER_SFTP_PORT": "2222"})
    assert settings["EPISERVER_SFTP_PORT"] == 2222 and not settings.is_default("EPISERVER_SFTP_PORT")
    assert settings.is_default("EPISERVER_REST_URL")
    assert settings.config("EPISERVER_API_PASSWORD") == dg.EnvVar("EPISERVER_API_PASSWORD")
    assert settings.shown("EPISERVER_API_PASSWORD") == "****"
    assert settings["EPISERVER_WAREHOUSE_URL"] == f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


def test_setting_value_gives_the_text_of_one_setting(monkeypatch):
    monkeypatch.delenv("EPISERVER_PREVIEW_PERSONAL_DATA", raising=False)
    assert setting_value("EPISERVER_PREVIEW_PERSONAL_DATA") == "false"
    monkeypatch.setenv("EPISERVER_PREVIEW_PERSONAL_DATA", "yes")
    assert setting_value("EPISERVER_PREVIEW_PERSONAL_DATA") == "yes"
    assert load_settings()["EPISERVER_PREVIEW_PERSONAL_DATA"] is True
    monkeypatch.setenv("EPISERVER_PREVIEW_PERSONAL_DATA", "maybe")
    with pytest.raises(SettingError, match="EPISERVER_PREVIEW_PERSONAL_DATA"):
        setting_value("EPISERVER_PREVIEW_PERSONAL_DATA")


def test_the_embedded_warehouse_runs_under_the_configured_memory_limit(tmp_path, monkeypatch):
    from episerver_assets.warehouse import WarehouseResource

    def limit_in_mib(value: str) -> float:
        monkeypatch.setenv("EPISERVER_DUCKDB_MEMORY_LIMIT", value)
        warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / value}.duckdb")
        shown = warehouse.scalar("SELECT current_setting('memory_limit')")
        number, unit = shown.split()
        return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]

    assert 280 <= limit_in_mib("300MB") <= 300
    assert 1800 <= limit_in_mib("2GB") <= 2000  # DuckDB shows GiB to one decimal
