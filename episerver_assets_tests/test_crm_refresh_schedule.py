"""The daily refresh schedule: stopped by default, its run config from the shipped YAML, bad YAML named."""

from __future__ import annotations

import pytest

from episerver_assets.defs.crm_refresh.config import SANDBOX_CONFIG, run_config_from_yaml
from episerver_assets.defs.crm_refresh.schedule import REFRESH_OP, crm_refresh_schedule
from episerver_assets.definitions import build_definitions

import dagster as dg


def test_the_schedule_is_daily_stopped_and_runs_suppressions_then_the_refresh():
    definitions = build_definitions()
    schedule = crm_refresh_schedule
    job = definitions.resolve_job_def("crm_refresh_job")

    assert schedule in definitions.schedules
    assert schedule.default_status is dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 5 * * *"
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "crm_refresh/suppressions", "crm_refresh/recipient_list_refresh"}
    config = crm_refresh_schedule.evaluate_tick(dg.build_schedule_context()).run_requests[0].run_config
    assert config["ops"][REFRESH_OP]["config"] == {"recipient_list_id": 58001000999, "optin_id": 9100000}
    assert config == run_config_from_yaml(SANDBOX_CONFIG, REFRESH_OP)


def test_a_bad_yaml_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "refresh.yaml"
    path.write_text("recipient_list_id: 1\nmax_shrink: 3\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"refresh\.yaml: max_shrink: Input should be less than or equal to 1"):
        run_config_from_yaml(path, REFRESH_OP)
