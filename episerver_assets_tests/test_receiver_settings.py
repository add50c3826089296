"""The receiver's settings and its INFO rate summary."""

from __future__ import annotations

import asyncio
import logging

import pytest

from episerver_assets.receiver.config import ReceiverConfig
from episerver_assets.receiver.request_stats import RequestStats, log_summaries
from episerver_assets.settings import SettingError, load_settings


@pytest.mark.parametrize(("name", "value", "words"), [
    ("EPISERVER_RECEIVER_AUTH", "token", "basic"),
    ("EPISERVER_RECEIVER_STORE_URL", "mysql://u:Pw123@h/db", "sqlite:///"),
    ("EPISERVER_RECEIVER_MAX_BODY_BYTES", "10", "from 1024"),
    ("EPISERVER_RECEIVER_PORT", "0", "from 1 to 65535"),
])
def test_a_bad_receiver_setting_is_one_line_naming_it(name, value, words):
    with pytest.raises(SettingError) as bad:
        load_settings({name: value})
    assert str(bad.value).startswith(f"{name} ") and words in str(bad.value) and "Pw123" not in str(bad.value)


def test_defaults_put_the_landing_store_under_the_data_dir_and_hide_the_secret(tmp_path):
    settings = load_settings({"EPISERVER_DATA_DIR": str(tmp_path), "EPISERVER_RECEIVER_SECRET": "Top-Secret-1"})
    config = ReceiverConfig.from_settings(settings)
    assert config.store_url == f"sqlite:///{tmp_path / 'receiver' / 'landing.sqlite3'}"
    assert (config.auth_mode, config.max_events, config.secret) == ("basic", 1000, "Top-Secret-1")
    assert "Top-Secret-1" not in repr(config) and settings.shown("EPISERVER_RECEIVER_SECRET") == "****"


def test_rate_summary_counts_since_the_last_one_and_is_quiet_when_idle():
    stats = RequestStats()
    stats.accepted, stats.events, stats.refused = 10, 250, 2
    line = stats.summary_and_reset()
    assert line.startswith("10 requests accepted") and "250 events" in line and "2 refused" in line
    assert stats.summary_and_reset() is None


def test_the_rate_summary_is_logged_at_info_each_interval(caplog):
    caplog.set_level(logging.INFO, logger="episerver_assets.receiver")
    stats = RequestStats()
    stats.accepted, stats.events = 3, 30

    async def until_summarised() -> None:
        summaries = asyncio.create_task(log_summaries(stats, interval=0.01))
        try:
            while not caplog.records:  # polls the real condition; the caller's wait_for is the deadline
                await asyncio.sleep(0.01)
        finally:
            summaries.cancel()

    asyncio.run(asyncio.wait_for(until_summarised(), timeout=5))
    (record,) = caplog.records
    assert record.levelno == logging.INFO and record.getMessage().startswith("3 requests accepted")
    assert "30 events" in record.getMessage() and (stats.accepted, stats.events) == (0, 0)
