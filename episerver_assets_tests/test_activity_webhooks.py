"""`activity/campaign_webhooks` and `remove_campaign_webhooks_job` against the running sandbox."""

from __future__ import annotations

import dagster as dg
import pytest

from episerver_assets.campaign.rest.webhooks import WEBHOOK_TYPES

from .activity_webhook_support import (
    OUR_URL, SECRET, add_foreign_webhooks, materialize, metadata_of, remove, sandbox_webhooks,
)


@pytest.fixture
def receiver_env(sandbox_env, monkeypatch):
    monkeypatch.setenv("EPISERVER_RECEIVER_PUBLIC_URL", OUR_URL)
    monkeypatch.setenv("EPISERVER_RECEIVER_SECRET", SECRET)
    monkeypatch.delenv("EPISERVER_ACTIVITY_EVENT_TYPES", raising=False)
    return monkeypatch


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def test_no_chosen_type_registers_every_type_activated_with_basic_auth(sandbox, receiver_env, instance):
    metadata = metadata_of(materialize(instance))
    hooks = sandbox_webhooks(sandbox, OUR_URL)
    assert sorted(h.type for h in hooks) == sorted(WEBHOOK_TYPES)
    assert {h.status for h in hooks} == {"activated"}
    assert {tuple(sorted(h.authentication.items())) for h in hooks} == {
        (("password", SECRET), ("type", "basicAuth"), ("userName", "campaign-webhook"))}
    assert (metadata["created_webhooks"], metadata["active_webhooks"]) == (12, 12)
    assert metadata["authentication"] == "basicAuth, user campaign-webhook"
    table = metadata["webhooks"]
    assert all(f"| {h.webhook_id} | {h.type} | activated | created, activated |" in table for h in hooks)


def test_chosen_types_in_key_mode_and_a_second_run_creates_nothing(sandbox, receiver_env, instance):
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "click,open")
    receiver_env.setenv("EPISERVER_RECEIVER_AUTH", "key")
    first = metadata_of(materialize(instance))
    before = sandbox_webhooks(sandbox)
    second = metadata_of(materialize(instance))
    after = sandbox_webhooks(sandbox)
    assert sorted(h.type for h in after) == ["click", "open"]
    assert [h.webhook_id for h in after] == [h.webhook_id for h in before]
    assert {h.status for h in after} == {"activated"}
    assert after[0].authentication == {"type": "keyAuth", "key": "X-Api-Key", "passphrase": SECRET}
    assert (first["created_webhooks"], second["created_webhooks"], second["active_webhooks"]) == (2, 0, 2)
    assert second["event_types"] == "click, open" and "kept, settings sent again |" in second["webhooks"]


def test_deactivated_webhooks_are_reactivated_and_a_changed_secret_is_sent(sandbox, receiver_env, instance):
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open,click,bounce")
    materialize(instance)
    campaign = sandbox.state.client(sandbox.client_ids[0])
    stopped = [h for h in sandbox_webhooks(sandbox) if h.type in ("open", "bounce")]
    for hook in stopped:
        campaign.deactivate_webhook(hook.webhook_id)
    receiver_env.setenv("EPISERVER_RECEIVER_SECRET", "a-new-secret-after-rotation")
    metadata = metadata_of(materialize(instance))
    hooks = sandbox_webhooks(sandbox)
    assert len(hooks) == 3 and {h.status for h in hooks} == {"activated"}
    assert {h.authentication["password"] for h in hooks} == {"a-new-secret-after-rotation"}
    assert metadata["created_webhooks"] == 0
    assert all(f"| {h.webhook_id} | {h.type} | activated | kept, settings sent again, re-activated (was "
               f"deactivated) |" in metadata["webhooks"] for h in stopped)


def test_types_no_longer_chosen_are_deactivated_and_said_so(sandbox, receiver_env, instance):
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open,click,sent")
    materialize(instance)
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open")
    metadata = metadata_of(materialize(instance))
    status = {h.type: h.status for h in sandbox_webhooks(sandbox)}
    assert status == {"open": "activated", "click": "deactivated", "sent": "deactivated"}
    assert metadata["no_longer_chosen"] == "ours of types click, sent are deactivated, not deleted"
    assert metadata["active_webhooks"] == 1 and "type no longer chosen, deactivated" in metadata["webhooks"]
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open,sent")
    again = metadata_of(materialize(instance))
    status = {h.type: h.status for h in sandbox_webhooks(sandbox)}
    assert status == {"open": "activated", "click": "deactivated", "sent": "activated"}
    assert again["created_webhooks"] == 0 and len(sandbox_webhooks(sandbox)) == 3


def test_a_second_webhook_of_one_type_is_removed_and_archive_is_recognised(sandbox, receiver_env, instance):
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "archive,open")
    materialize(instance)
    campaign = sandbox.state.client(sandbox.client_ids[0])
    twin = campaign.create_webhook("open", OUR_URL, {"type": "none"})  # as a concurrent run would leave it
    metadata = metadata_of(materialize(instance))
    hooks = sandbox_webhooks(sandbox)
    assert sorted(h.type for h in hooks) == ["archive", "open"] and twin.webhook_id not in {h.webhook_id for h in hooks}
    assert metadata["created_webhooks"] == 0
    assert f"| {twin.webhook_id} | open | deleted | deleted: a second one of type open (was created) |" in (
        metadata["webhooks"])


def test_a_changed_public_url_moves_our_webhooks_instead_of_adding_more(sandbox, receiver_env, instance):
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open,click")
    materialize(instance)
    ids = [h.webhook_id for h in sandbox_webhooks(sandbox)]
    foreign = add_foreign_webhooks(sandbox)[len(ids):]
    moved_url = "http://127.0.0.1:9/moved/events"
    receiver_env.setenv("EPISERVER_RECEIVER_PUBLIC_URL", moved_url)
    metadata = metadata_of(materialize(instance))
    assert [h.webhook_id for h in sandbox_webhooks(sandbox, moved_url)] == ids
    assert sandbox_webhooks(sandbox, OUR_URL) == []
    assert [h for h in sandbox_webhooks(sandbox) if h.webhook_id not in ids] == foreign
    assert metadata["created_webhooks"] == 0 and metadata["target_url"] == moved_url
    assert metadata["webhooks"].count("kept, moved to the new URL") == 2


def test_foreign_webhooks_are_untouched_by_the_asset_and_by_the_removal_job(sandbox, receiver_env, instance):
    receiver_env.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open,click,sent")
    foreign = add_foreign_webhooks(sandbox)
    materialize(instance)
    ours = sandbox_webhooks(sandbox, OUR_URL)
    assert sorted(h.type for h in ours) == ["click", "open", "sent"]
    assert [h for h in sandbox_webhooks(sandbox) if h.target_url != OUR_URL] == foreign

    result = remove(instance)
    assert result.success
    assert sandbox_webhooks(sandbox) == foreign
    state = instance.get_latest_materialization_event(dg.AssetKey(["activity", "campaign_webhooks"]))
    metadata = {k: v.value for k, v in state.asset_materialization.metadata.items()}
    assert (metadata["removed_webhooks"], metadata["active_webhooks"]) == (3, 0)
    assert all(f"| {h.webhook_id} | {h.type} | deleted | deleted (was activated) |" in metadata["webhooks"]
               for h in ours)
    assert remove(instance).success and sandbox_webhooks(sandbox) == foreign  # nothing left of ours: a no-op
