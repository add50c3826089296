"""What the Dagster UI shows of a closed-loop run: check results per day, and no personal data
unless switched on."""

from __future__ import annotations

import datetime as dt

import pyarrow.csv as pa_csv

from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._serdes import serialize_value
from episerver_assets.defs.closed_loop.checks import check_specs
from episerver_assets.defs.closed_loop.personal_data import failures_markdown, failures_text, masked_text
from episerver_assets.defs.closed_loop.reader import ResponseFileError, RowFailure
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.sandbox.generator import write_response_day

from .closed_loop_runs import (  # noqa: F401 - fixtures
    DAY_1,
    DAY_3,
    instance,
    materialized,
    response_file,
    run_days,
)


def test_a_seven_day_run_reports_each_check_once_per_day(sandbox, run_days, instance):
    first = DAY_3 - dt.timedelta(days=6)
    for back in range(3, 7):  # the sandbox fixture holds the last three days
        write_response_day(sandbox.client_dir(1000) / "response", DAY_3 - dt.timedelta(days=back),
                           sandbox.config.seed, sandbox.config.scale, client_id=1000)
    days = {(first + dt.timedelta(days=n)).isoformat() for n in range(7)}

    result = run_days(first, DAY_3)

    assert result.success
    for spec in check_specs():
        evaluations = [e.asset_check_evaluation_data for e in result.all_events
                       if e.event_type_value == "ASSET_CHECK_EVALUATION"
                       and e.asset_check_evaluation_data.asset_check_key == spec.key]
        assert sorted(e.partition for e in evaluations) == sorted(days), spec.key
        history = instance.event_log_storage.get_asset_check_execution_history(spec.key, limit=20)
        recorded = [r for r in history if r.status == AssetCheckExecutionRecordStatus.SUCCEEDED]
        assert {r.partition for r in recorded} == days, spec.key
        assert all(e.target_materialization_data is not None for e in evaluations), spec.key


def _addresses(sandbox) -> set[str]:
    data = pa_csv.read_csv(response_file(sandbox, "clicks", DAY_1), parse_options=pa_csv.ParseOptions(delimiter=";"))
    return {value for value in data.column("userId").to_pylist() if value}


def _event_log_text(instance, result) -> str:
    return "\n".join(serialize_value(record) for record in instance.all_logs(result.run_id))


def test_previews_mask_personal_data_by_default(sandbox, run_days, instance):
    addresses = _addresses(sandbox)
    assert addresses and all("@" in address for address in addresses)

    result = run_days(DAY_1, DAY_1)

    assert result.success
    text = _event_log_text(instance, result)
    assert not [address for address in addresses if address in text]
    preview = materialized(result, "clicks")[DAY_1.isoformat()]["preview"].value
    assert "| ***" in preview or "*** |" in preview


def test_previews_show_personal_data_when_switched_on(sandbox, run_days, instance, monkeypatch):
    monkeypatch.setenv("EPISERVER_PREVIEW_PERSONAL_DATA", "true")

    result = run_days(DAY_1, DAY_1)

    preview = materialized(result, "clicks")[DAY_1.isoformat()]["preview"].value
    assert any(address in preview for address in _addresses(sandbox))


def test_failing_values_and_messages_mask_addresses(monkeypatch):
    clicks = RESPONSE_TABLES["clicks"]
    error = ResponseFileError("20261117_clicks.csv", [
        RowFailure("20261117_clicks.csv", 3, "userId", "not an address", "ann@example.com"),
        RowFailure("20261117_clicks.csv", 4, "created", "bad date for bob@example.com", "2026-13-45"),
    ])
    shown = failures_markdown(error, clicks) + failures_text(error, clicks) + masked_text("to x@y.org failed")
    assert "@" not in shown
    assert "| 4 | created | bad date for *** | '2026-13-45' |" in shown

    monkeypatch.setenv("EPISERVER_PREVIEW_PERSONAL_DATA", "true")
    assert "ann@example.com" in failures_markdown(error, clicks)
