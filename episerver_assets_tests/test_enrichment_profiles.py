"""The closed loop of seed 002 in Dagster, on both engines: profiles -> source audience -> enrichment over
OAuth2 -> the mapped UUID on the profiles -> the source audience ("has an address, no UUID") drains.
The secret and the tokens never reach the logs, the metadata or an error."""

from __future__ import annotations

import datetime as dt
import logging

import dagster as dg
import sqlalchemy as sa

from episerver_assets.defs.audiences import assets as audiences
from episerver_assets.defs.enrichment import assets as enrichment
from episerver_assets.defs.enrichment.config import load_enrichments
from episerver_assets.defs.profiles.assets import user_profiles_asset
from episerver_assets.defs.profiles.enrichment_columns import add_enrichment_columns, apply_enrichment_columns
from episerver_assets.defs.profiles.tables import build_state, user_profiles
from episerver_assets.sandbox.enrichment.app import uuid_for
from episerver_assets.settings import SANDBOX_ENRICHMENT_SECRET

from .user_profiles_support import T0, add_recipients, ensure_tables, recipient

EMAILS = ["ann@example.com", "bob@example.com", "cid@example.com"]
SOURCE = "email_without_uuid"


def _materialize(warehouse, *assets_defs, raise_on_error=True, instance=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(list(assets_defs), resources={"warehouse": warehouse}, raise_on_error=raise_on_error,
                          instance=instance)


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    return {key: value.value for e in result.get_asset_materialization_events()
            for key, value in e.materialization.metadata.items()}


def _profiles(warehouse) -> dict[str, str | None]:
    with warehouse.begin() as connection:
        return dict(connection.execute(sa.text(f"SELECT email, enrichment_uuid FROM {user_profiles.fullname}")).all())


def test_the_mapped_uuid_reaches_the_profiles_and_the_source_audience_drains(warehouse, sandbox, sandbox_env, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "authlib"):  # the CLI quiets them process-wide when a test ran it
        caplog.set_level(logging.DEBUG, logger=name)
    ensure_tables(warehouse)
    add_recipients(warehouse, *(recipient(77, f"r{i}", email, T0, T0) for i, email in enumerate(EMAILS)))
    _materialize(warehouse, user_profiles_asset)
    sizes = _metadata(_materialize(warehouse, audiences.audience_assets))
    assert sizes[f"size/{SOURCE}"] == 3 and set(_profiles(warehouse).values()) == {None}

    (asset,) = enrichment.enrichment_assets
    sent = _metadata(_materialize(warehouse, asset))
    assert (sent["due"], sent["enriched"], sent["failed"], sent["tokens_fetched"]) == (3, 3, 0, 1)
    rebuilt = _metadata(_materialize(warehouse, user_profiles_asset))
    assert rebuilt["enrichment_fields_updated"] == 3
    assert rebuilt["dagster/column_schema"].columns[-1].name == "enrichment_uuid"
    assert _profiles(warehouse) == {email: uuid_for(email) for email in EMAILS}
    sizes = _metadata(_materialize(warehouse, audiences.audience_assets))
    assert (sizes[f"size/{SOURCE}"], sizes[f"exited/{SOURCE}"]) == (0, 3)

    full = {"ops": {"profiles__user_profiles": {"config": {"full_rebuild": True}}}}
    assert dg.materialize([user_profiles_asset], resources={"warehouse": warehouse}, run_config=full).success
    assert _profiles(warehouse) == {email: uuid_for(email) for email in EMAILS}  # a full rebuild keeps them

    tokens = list(sandbox.enrichment.tokens._expiry)  # every token the service handed out
    assert tokens and "access_token=****" in caplog.text  # httpx logged the URLs, masked
    shown = caplog.text + repr(sent) + repr(rebuilt) + repr(sizes)
    assert all(secret not in shown for secret in [SANDBOX_ENRICHMENT_SECRET, *tokens])
    assert "@" not in repr(sent)


def test_a_refused_client_fails_the_run_without_its_secret_and_records_nobody(warehouse, sandbox, sandbox_env,
                                                                             monkeypatch, caplog):
    monkeypatch.setenv("EPISERVER_ENRICHMENT_SANDBOX_SECRET", "wrong-S3cret-value")
    ensure_tables(warehouse)
    add_recipients(warehouse, recipient(77, "r1", EMAILS[0], T0, T0))
    _materialize(warehouse, user_profiles_asset)
    _materialize(warehouse, audiences.audience_assets)
    (asset,) = enrichment.enrichment_assets
    instance = dg.DagsterInstance.ephemeral()
    result = _materialize(warehouse, asset, raise_on_error=False, instance=instance)
    assert not result.success
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert "EnrichmentAuthorizationError" in failure.to_string() and "invalid_client" in failure.to_string()
    run_log = "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))
    assert "notification enrichment_failing: enrichment/sandbox_uuid: enrichment keeps failing" in run_log
    assert "wrong-S3cret-value" not in failure.to_string() + caplog.text + run_log
    assert sandbox.enrichment.answered() == []


def test_enrichments_follow_the_audiences_in_their_own_group():
    from episerver_assets.definitions import defs

    graph = defs().resolve_asset_graph()
    node = graph.get(dg.AssetKey(["enrichment", "sandbox_uuid"]))
    assert node.group_name == "enrichment" and node.parent_keys == {audiences.MEMBERS_KEY}
    assert node.metadata["dagster/table_name"] == "enrichment.sandbox_users"


def test_an_enriched_field_stamps_only_the_profile_row_it_changes(warehouse, sandbox_env):
    """The exports' plans find changed profiles by updated_at: an answer filled in without a rebuild counts."""
    ensure_tables(warehouse)
    add_recipients(warehouse, *(recipient(77, f"r{i}", email, T0, T0) for i, email in enumerate(EMAILS)))
    _materialize(warehouse, user_profiles_asset)
    (configured, *_) = load_enrichments()
    (field, column), *_ = configured.map.items()
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    with warehouse.begin() as connection:
        before = dict(connection.execute(sa.select(user_profiles.c.email, user_profiles.c.updated_at)).all())
        stream = add_enrichment_columns(connection)[configured.stream]
        connection.execute(sa.insert(stream).values(
            request_id="q1", enrichment=configured.slug, email=EMAILS[0], entered_at=T0, status="enriched",
            attempts=1, sent_at=T0, received_at=T0, **{column: "uuid-1"}))
        connection.execute(sa.update(build_state).values(built_at=later))
        assert apply_enrichment_columns(connection) == 1
        after = dict(connection.execute(sa.select(user_profiles.c.email, user_profiles.c.updated_at)).all())
    assert after[EMAILS[0]] == later
    assert {e: after[e] for e in EMAILS[1:]} == {e: before[e] for e in EMAILS[1:]}
