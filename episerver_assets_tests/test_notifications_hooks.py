"""Where the platform notifies, end to end: a refused CRM clear (run log and webhook), a failed closed-loop
day, a recipients import that marked deletions."""

from __future__ import annotations

import dagster as dg
import pytest

from episerver_assets.defs.crm_refresh.refresh_asset import recipient_list_refresh
from episerver_assets.warehouse import WarehouseResource

from .campaign_recipients_runs import LIST_A, runs  # noqa: F401 (fixture)
from .closed_loop_runs import DAY_1, instance, response_file, run_days  # noqa: F401 (fixtures)
from .crm_refresh_support import (
    LIST_ID, REFRESH_OP, add_technical_fields, contact, failure_of, list_members, resources, write_contacts,
)
from .notifications_support import configure, run_log, webhook_server  # noqa: F401 (fixture)

SUBJECT = f"crm_refresh/recipient_list_refresh: refused to clear recipient list {LIST_ID}"


def refresh_with_log(warehouse_url: str, **config: object) -> tuple[dg.ExecuteInProcessResult, list[str]]:
    run_config = {"ops": {REFRESH_OP: {"config": {"recipient_list_id": LIST_ID, **config}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([recipient_list_refresh], resources=resources(warehouse_url), run_config=run_config,
                                instance=instance, raise_on_error=False)
        return result, run_log(instance, result.run_id)


def test_a_refused_crm_clear_notifies_the_run_log_and_the_webhook(
    sandbox, sandbox_env, duckdb_url, tmp_path, monkeypatch, webhook_server,
):
    url, webhook = webhook_server
    configure(tmp_path, monkeypatch, f"sinks:\n  - type: run_log\n  - type: webhook\n    url: {url}/crm\n")
    write_contacts(WarehouseResource(url=duckdb_url), [contact("C1", "other@example.com", optin_id=88)])
    add_technical_fields(sandbox)
    before = list_members(sandbox)

    refused, log = refresh_with_log(duckdb_url, optin_id=77)

    assert not refused.success and "refused to clear the list" in failure_of(refused)
    assert list_members(sandbox) == before
    [message] = [line for line in log if line.startswith("notification clear_refused:")]
    assert message.startswith(f"notification clear_refused: {SUBJECT}\nRun {refused.run_id} of ")
    assert message.endswith(": refused to clear the list: the new selection is empty. "
                            "Re-run with `confirm: true` to clear anyway.")
    [request] = webhook.requests
    assert request["json"]["kind"] == "clear_refused" and request["json"]["subject"] == SUBJECT
    assert request["json"]["run"]["run_id"] == refused.run_id

    confirmed, log = refresh_with_log(duckdb_url, optin_id=77, confirm=True)

    assert confirmed.success, failure_of(confirmed)
    assert len(webhook.requests) == 1 and not any(line.startswith("notification") for line in log)


@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_closed_loop_day_with_a_missing_file_notifies(sandbox, run_days, instance, monkeypatch):
    monkeypatch.delenv("EPISERVER_NOTIFICATIONS_CONFIG", raising=False)
    response_file(sandbox, "opens", DAY_1).unlink()

    result = run_days(DAY_1, DAY_1)

    assert not result.success
    [message] = [line for line in run_log(instance, result.run_id) if line.startswith("notification")]
    subject, body = message.split("\n")
    assert subject == f"notification import_failed: closed_loop_responses (8 assets) {DAY_1}: import failed"
    assert body.startswith(f"Run {result.run_id} of closed_loop_job at ")
    assert body.endswith(f": 1 response file(s) could not be loaded: {DAY_1} opens: {DAY_1:%Y%m%d}_opens.csv "
                         "is not on the server (expired after 30 days, or not delivered)")


@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_recipients_import_that_marks_deletions_notifies(sandbox, runs, monkeypatch):
    monkeypatch.delenv("EPISERVER_NOTIFICATIONS_CONFIG", raising=False)
    campaign = sandbox.state.client(1000)
    runs.configure(f"lists: [{LIST_A}]\n")
    first = runs.run()
    assert first.success and not notifications_of(runs.instance, first)
    for recipient_id in sorted(campaign.lists[LIST_A].recipients)[:2]:
        assert campaign.delete_recipient(LIST_A, recipient_id)

    full = runs.run(full_pass=True)

    assert full.success
    [message] = notifications_of(runs.instance, full)
    assert message.startswith("notification recipients_deleted: campaign/episerver_recipients: "
                              "2 recipients deleted in Campaign\n")
    assert message.endswith(f": a full pass marked 2 recipients deleted in lists {LIST_A}")


def notifications_of(dagster_instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> list[str]:
    return [line for line in run_log(dagster_instance, result.run_id) if line.startswith("notification")]
