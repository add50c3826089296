"""The plan's blocking check and its confirmed override, suppressed addresses, rejected rows retried across
runs until they succeed or are permanent, and the list's fields checked before planning."""

from __future__ import annotations

from episerver_assets.defs.exports.tables import plans, row_failures, sync_results

from .exports_support import ExportWorld, check_of, failure_of, metadata_of, person


def test_a_plan_changing_too_much_of_the_list_is_refused_until_confirmed(
        sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, max_change_share=0.5)
    world.suppress()
    for n in range(10, 14):  # someone else's recipients: the list holds 4
        world.campaign.add_recipient(58001000998, f"other{n}@example.com", {"email": f"other{n}@example.com"})
    world.people(*(person(n, opens=1) for n in range(1, 4)))  # 3 adds = 75% of the list

    plan = world.plan()
    assert not plan.success  # a failed blocking check fails its step
    check = check_of(plan)
    assert not check.passed and "75% of the list's 4" in check.description
    logs = [record.user_message for record in world.instance.all_logs(plan.run_id)]
    assert any("exports/newsletter_plan: plan refused" in message for message in logs)  # the notification
    refused = world.apply()
    assert not refused.success and "was refused by its check" in failure_of(refused)
    assert len(world.recipients()) == 4

    confirmed = world.plan(confirm=True)
    assert check_of(confirmed).passed and check_of(confirmed).metadata["confirmed"].value is True
    assert world.apply().success
    assert len(world.recipients()) == 7
    assert sorted(r["status"] for r in world.rows(plans)) == ["applied", "refused"]


def test_the_blocking_check_stops_apply_in_the_same_run(sandbox, sandbox_env, warehouse_url, tmp_path):
    import dagster as dg

    from episerver_assets.defs.exports.apply_asset import build_apply_asset
    from episerver_assets.defs.exports.plan_asset import build_plan_asset

    world = ExportWorld(sandbox, warehouse_url, tmp_path, max_change_share=0.1)
    world.suppress()
    world.people(person(1, opens=1))
    result = dg.materialize([build_plan_asset(world.export, world.audiences), build_apply_asset(world.export)],
                            instance=world.instance, resources={"warehouse": world.warehouse, "rest": world.rest},
                            raise_on_error=False)
    assert not check_of(result).passed
    assert [e.asset_key.path[-1] for e in result.get_asset_materialization_events()] == ["newsletter_plan"]
    assert world.recipients() == {}


def test_suppressed_addresses_refuse_the_plan_and_never_loaded_suppressions_too(
        sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.people(person(1, opens=1), person(2, opens=1))
    unknown = check_of(world.plan())
    assert not unknown.passed and "never materialized" in unknown.description

    world.suppress("*@EXAMPLE.com".lower())
    refused = world.plan()
    assert not check_of(refused).passed and "2 suppressed addresses" in check_of(refused).description
    assert metadata_of(refused)["suppressed"] == 2


def test_rejected_rows_are_retried_on_later_runs_until_sent_or_permanent(
        sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, max_attempts=3)
    world.suppress()
    world.campaign.add_blocklist_entry("user2@example.com", reason="test")
    world.campaign.add_blocklist_entry("user3@example.com", reason="test")
    world.people(person(1, opens=1), person(2, opens=1), person(3, opens=1))

    world.sync()
    assert set(world.recipients()) == {"user1@example.com"}
    failures = {r["recipient_id"]: r for r in world.rows(row_failures)}
    assert failures["user2@example.com"]["reason"] == "The recipient is blacklisted."
    assert failures["user2@example.com"]["attempts"] == 1

    world.campaign.remove_blocklist_entry("user2@example.com")
    plan, apply = world.sync()
    assert metadata_of(plan)["action/add"] == 2
    assert (metadata_of(apply)["status/retried"], metadata_of(apply)["status/rejected"]) == (1, 1)

    world.sync()  # user3's third attempt: given up
    assert {r["recipient_id"]: r["permanent"] for r in world.rows(row_failures)} == {"user3@example.com": True}
    plan, _ = world.sync()
    assert metadata_of(plan)["held_back_for_retry"] == 1 and metadata_of(plan)["changes"] == 0
    statuses = sorted((r["recipient_id"], r["attempt"], r["status"]) for r in world.rows(sync_results)
                      if r["recipient_id"] != "user1@example.com")
    assert statuses == [("user2@example.com", 1, "rejected"), ("user2@example.com", 2, "retried"),
                        ("user3@example.com", 1, "rejected"), ("user3@example.com", 2, "rejected"),
                        ("user3@example.com", 3, "permanent")]


def test_rows_wait_for_their_backoff(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, retry_backoff_minutes=60)
    world.suppress()
    world.campaign.add_blocklist_entry("user1@example.com")
    world.people(person(1, opens=1))
    world.sync()
    plan, _ = world.sync()
    assert metadata_of(plan)["held_back_for_retry"] == 1 and metadata_of(plan)["action/add"] == 0


def test_a_list_without_the_mapped_fields_fails_the_plan_naming_them(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, field_mapping={"ep_client_id": "mandant"})
    world.suppress()
    world.people(person(1, opens=1))
    result = world.plan()
    assert not result.success
    assert "recipient list 58001000998 has no field mandant" in failure_of(result)
    assert world.rows(plans) == []
