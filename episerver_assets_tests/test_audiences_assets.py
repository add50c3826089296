"""The audience assets in Dagster: sizes and changes as metadata, sizes over time, eager automation, and
the sandbox's CRM extract."""

from __future__ import annotations

import dagster as dg
import numpy as np
import sqlalchemy as sa

from episerver_assets.defs.audiences import assets
from episerver_assets.defs.crm.contacts import CONTACTS_KEY, contacts
from episerver_assets.defs.crm.sandbox_contacts import seed_crm_contacts
from episerver_assets.defs.profiles.tables import user_profiles
from episerver_assets.sandbox.generator import names
from episerver_assets.sandbox.generator.scales import resolve_sizes
from episerver_assets.warehouse import WarehouseResource

from .audiences_support import contact, ensure_tables, profile, replace_rows


def _materialize(warehouse: WarehouseResource) -> dict[str, dict]:
    result = dg.materialize([assets.audience_assets], resources={"warehouse": warehouse})
    assert result.success
    materializations = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    return {m.asset_key.to_user_string(): m.metadata for m in materializations}


def test_sizes_and_changes_as_metadata_and_sizes_over_time(warehouse: WarehouseResource):
    slugs = [a.slug for a in assets.AUDIENCES]
    assert {"engaged_openers", "leads_without_click"} <= set(slugs)
    ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=2),
                                            profile("p2", "bob@example.com", opens=5)])
    replace_rows(warehouse, contacts, [contact("L1", "Carl@Example.com", "lead")])
    first = _materialize(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=2, unsubscribes=1),
                                            profile("p2", "bob@example.com", opens=5)])
    second = _materialize(warehouse)

    members, history = first["audiences/audience_members"], first["audiences/audience_history"]
    assert members["size/engaged_openers"].value == 2 and members["size/leads_without_click"].value == 1
    assert history["entered/engaged_openers"].value == 2 and history["exited/engaged_openers"].value == 0
    without_uuid = members["size/email_without_uuid"].value  # the sandbox enrichment's source audience
    assert without_uuid == 2 and members["dagster/row_count"].value == history["dagster/row_count"].value == 3 + 2
    members, history = second["audiences/audience_members"], second["audiences/audience_history"]
    assert members["size/engaged_openers"].value == 1
    assert (history["entered/engaged_openers"].value, history["exited/engaged_openers"].value) == (0, 1)
    assert (history["entered"].value, history["exited"].value) == (0, 1)
    table = members["sizes_over_time"].value.splitlines()
    assert table[0].startswith("| computed at (UTC) | ") and slugs == [c.strip() for c in table[0].split("|")[2:-1]]
    column = slugs.index("engaged_openers") + 2
    assert [row.split("|")[column].strip() for row in table[2:]] == ["2 (+2/-0)", "1 (+0/-1)"]
    assert "@" not in members["sizes_over_time"].value  # no address reaches the UI


def test_audiences_follow_profiles_and_reported_contacts_eagerly():
    defs = dg.Definitions(assets=[assets.audience_assets, dg.AssetSpec(assets.PROFILES_KEY),
                                  dg.AssetSpec(CONTACTS_KEY)], resources={"warehouse": WarehouseResource()})
    selection = dg.AssetSelection.assets(assets.MEMBERS_KEY, assets.HISTORY_KEY)
    with dg.instance_for_test() as instance:
        def evaluate(cursor=None):
            result = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=selection,
                                                       cursor=cursor)
            return result.get_num_requested(assets.MEMBERS_KEY), result.get_num_requested(assets.HISTORY_KEY), \
                result.cursor

        requested_members, _, cursor = evaluate()
        assert requested_members == 0  # no profiles yet
        instance.report_runless_asset_event(dg.AssetMaterialization(assets.PROFILES_KEY))
        requested_members, requested_history, cursor = evaluate(cursor)
        assert (requested_members, requested_history) == (1, 1)  # the CRM extract was never reported: no wait
        for key in (assets.MEMBERS_KEY, assets.HISTORY_KEY):
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
        assert evaluate(cursor)[:2] == (0, 0)
        cursor = evaluate(cursor)[2]
        instance.report_runless_asset_event(dg.AssetMaterialization(CONTACTS_KEY))
        assert evaluate(cursor)[:2] == (1, 1)


def test_sandbox_crm_holds_every_sandbox_recipient_and_some_prospects(duckdb_url):
    warehouse = WarehouseResource(url=duckdb_url)
    rows = seed_crm_contacts(warehouse, seed=11, scale="small")
    recipients = resolve_sizes("small").recipients
    expected = set(names.emails(11, np.arange(recipients, dtype=np.int64)).to_pylist())
    with warehouse.begin() as connection:
        crm = connection.execute(sa.select(contacts.c.email, contacts.c.optin_id, contacts.c.entity_type)).all()
    known = [row for row in crm if row.optin_id is not None]
    assert rows == len(crm) and len(known) == recipients
    assert {row.email.lower() for row in known} == expected
    assert any(row.email != row.email.lower() for row in known)  # the join must lower-case
    assert {row.entity_type for row in known} == {"contact", "lead", "account"}
    prospects = [row for row in crm if row.optin_id is None]
    assert prospects and not {row.email for row in prospects} & expected
    assert seed_crm_contacts(warehouse, seed=11, scale="small") == rows  # replaces, never appends
