"""Audience exports against the sandbox on both engines: backfill, enter, exit, re-enter, the membership
field's value, the field mapping, and what an exit must leave alone."""

from __future__ import annotations

import datetime as dt

from episerver_assets.defs.exports.config import ExitBehaviour
from episerver_assets.defs.exports.tables import owned_members, sync_results

from .exports_support import ExportWorld, metadata_of, person


def test_backfill_then_enter_exit_and_reenter(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(person(1, opens=1), person(2, opens=1, clicks=1), person(3))

    plan, apply = world.sync()

    assert metadata_of(plan)["action/add"] == 2
    assert {rid: r["audiences"] for rid, r in world.recipients().items()} == {
        "user1@example.com": "Openers", "user2@example.com": "Openers, Clickers"}
    assert metadata_of(apply)["status/sent"] == 2

    world.people(person(1, opens=1), person(2, clicks=1), person(3, clicks=1))  # 2 leaves Openers, 3 enters
    plan, _ = world.sync()
    assert (metadata_of(plan)["action/add"], metadata_of(plan)["action/update"]) == (1, 1)
    assert {rid: r["audiences"] for rid, r in world.recipients().items()} == {
        "user1@example.com": "Openers", "user2@example.com": "Clickers", "user3@example.com": "Clickers"}

    world.people(person(2, clicks=1), person(3, clicks=1))  # 1 leaves every exported audience
    plan, _ = world.sync()
    assert metadata_of(plan)["action/clear_membership"] == 1
    assert world.recipients()["user1@example.com"]["audiences"] == ""

    world.people(person(1, opens=1), person(2, clicks=1), person(3, clicks=1))  # 1 comes back
    plan, _ = world.sync()
    assert metadata_of(plan)["action/add"] == 1
    assert world.recipients()["user1@example.com"]["audiences"] == "Openers"
    ledger = {r["recipient_id"]: r for r in world.rows(owned_members)}
    assert ledger["user1@example.com"]["added_by_us"] is True and ledger["user1@example.com"]["active"] is True

    plan, apply = world.sync()  # nothing changed: nothing planned, nothing sent
    assert metadata_of(plan)["changes"] == 0 and metadata_of(apply)["dagster/row_count"] == 0


def test_field_mapping_sends_profile_columns_and_only_changes(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, field_mapping={"ep_recipient_id": "crm_recipient_id"})
    world.suppress()
    world.people(person(1, opens=1, ep_recipient_id="R-1"), person(2, opens=1, ep_recipient_id=None))
    world.sync()
    assert world.recipients()["user1@example.com"]["crm_recipient_id"] == "R-1"
    assert world.recipients()["user2@example.com"]["crm_recipient_id"] in ("", None)

    world.people(person(1, opens=1, ep_recipient_id="R-9"), person(2, opens=1, ep_recipient_id=None))
    plan, _ = world.sync()
    assert (metadata_of(plan)["action/update"], metadata_of(plan)["changes"]) == (1, 1)
    assert world.recipients()["user1@example.com"]["crm_recipient_id"] == "R-9"


def test_without_mapping_or_membership_only_the_identifier_is_sent(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, membership_field=None)
    world.suppress()
    world.people(person(1, opens=1))
    world.sync()
    attributes = world.recipients()["user1@example.com"]
    assert {k: v for k, v in attributes.items() if v not in ("", None)} == {"email": "user1@example.com"}


def test_a_foreign_recipient_is_never_removed_and_its_fields_never_cleared(
        sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, recipient_list_id=58001000997, membership_field=None,
                        exit=ExitBehaviour.REMOVE_WHEN_NO_AUDIENCE_LEFT)
    world.campaign.add_recipient(58001000997, "user1@example.com",
                                 {"email": "user1@example.com", "firstname": "Jörg", "audiences": "theirs"})
    world.suppress()
    world.people(person(1, opens=1), person(2, opens=1))
    world.sync()
    ledger = {r["recipient_id"]: r["added_by_us"] for r in world.rows(owned_members)}
    assert ledger == {"user1@example.com": False, "user2@example.com": True}

    world.people()  # both leave
    plan, _ = world.sync()
    assert (metadata_of(plan)["action/remove"], metadata_of(plan)["action/forget"]) == (1, 1)
    assert set(world.recipients()) == {"user1@example.com"}
    assert world.recipients()["user1@example.com"]["firstname"] == "Jörg"
    assert world.recipients()["user1@example.com"]["audiences"] == "theirs"


def test_update_field_exit_never_clears_a_membership_field_set_by_someone_else(
        sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, membership_field=None)
    world.campaign.add_recipient(58001000998, "user1@example.com",
                                 {"email": "user1@example.com", "audiences": "theirs"})
    world.suppress()
    world.people(person(1, opens=1))
    world.sync()
    world.people()
    plan, _ = world.sync()
    assert metadata_of(plan)["action/forget"] == 1 and metadata_of(plan)["changes"] == 0
    assert world.recipients()["user1@example.com"]["audiences"] == "theirs"


def test_results_are_recorded_per_row_and_the_sample_masks_addresses(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(person(1, opens=1), person(2, clicks=1))
    plan, _ = world.sync()
    results = world.rows(sync_results)
    assert sorted((r["recipient_id"], r["action"], r["status"], r["attempt"]) for r in results) == [
        ("user1@example.com", "add", "sent", 1), ("user2@example.com", "add", "sent", 1)]
    assert all(r["recorded_at"].astimezone(dt.UTC).year >= 2026 for r in results)
    assert not any("@" in str(value) for value in metadata_of(plan).values())
