"""The recipients import against the running sandbox, on DuckDB and PostgreSQL: first import,
incremental passes, deletions found by full passes, attributes none/some and newly chosen."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd

from episerver_assets.sandbox.state import Recipient

from .campaign_recipients_runs import (  # noqa: F401 - fixture
    LIST_A,
    LIST_B,
    age_recipients,
    materialization,
    per_list,
    runs,
)

BASE = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
TWO_LISTS = f"""
lists:
  - id: {LIST_A}
    attributes: [firstname, city]
  - id: {LIST_B}
    attributes: []
keep_active: true
"""


def _campaign_view(recipients: dict[str, Recipient], fields: list[str]) -> pd.DataFrame:
    """What the table should hold for a list, computed from the sandbox's state."""
    rows = {
        r.recipient_id: {
            "email": r.attributes["email"],
            "ep_created_date": r.created,
            "ep_modified_date": r.modified,
            "last_active_ts": max(r.created, r.modified),
            **{f"attr_{f}": r.attributes.get(f) or None for f in fields},
        }
        for r in recipients.values()
    }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("ep_created_date", "ep_modified_date", "last_active_ts"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def test_first_import_equals_the_api_content_with_chosen_attributes_only(sandbox, runs):
    runs.configure(TWO_LISTS)
    result = runs.run()
    assert result.success

    campaign = sandbox.state.client(1000)
    for list_id, fields in ((LIST_A, ["firstname", "city"]), (LIST_B, [])):
        stored = runs.rows(list_id)
        expected = _utc(_campaign_view(campaign.lists[list_id].recipients, fields))
        assert len(stored) == len(expected) == 200
        assert stored["deleted_at"].isna().all()
        compared = _utc(stored[expected.columns].copy())
        pd.testing.assert_frame_equal(compared, expected, check_dtype=False, check_names=False)
        assert per_list(result, list_id) | {"watermark": None} == {
            "pass": "full", "read": 200, "kept": 200, "new": 200, "updated": 0, "restored": 0, "deleted": 0,
            "rechecked_present": 0, "watermark": None}
        assert runs.state(list_id).watermark is not None
    # Only the chosen fields became columns; list B chose none, so they are empty there.
    attribute_columns = sorted(c for c in runs.rows(LIST_B).columns if c.startswith("attr_"))
    assert attribute_columns == ["attr_city", "attr_firstname"]
    assert runs.rows(LIST_B)[attribute_columns].isna().all().all()

    metadata = materialization(result)
    assert metadata["dagster/row_count"].value == 400
    schema = {c.name: c.description for c in metadata["dagster/column_schema"].value.columns}
    assert schema["attr_city"] == "Campaign recipient list field `city`"
    assert set(metadata["watermarks"].value) == {str(LIST_A), str(LIST_B)}


def test_no_address_reaches_logs_or_metadata(sandbox, runs):
    runs.configure(TWO_LISTS)
    result = runs.run()
    assert result.success
    campaign = sandbox.state.client(1000)
    addresses = {r.attributes["email"] for lst in campaign.lists.values() for r in lst.recipients.values()}
    shown = " ".join([str(materialization(result))] + [e.message or "" for e in result.all_events])
    assert "@" not in shown and not any(address in shown for address in addresses)


def test_incremental_pass_writes_only_new_and_modified_recipients(sandbox, runs):
    campaign = sandbox.state.client(1000)
    age_recipients(campaign, LIST_A, BASE)
    runs.configure(TWO_LISTS)
    assert runs.run().success
    before = runs.rows(LIST_A)
    watermark = runs.state(LIST_A).watermark

    changed = sorted(campaign.lists[LIST_A].recipients)[50]  # on the second page of 50
    assert campaign.update_recipient(LIST_A, changed, {"city": "Neustadt an der Weinstraße"})
    campaign.add_recipient(LIST_A, "new.person@example.org", {"email": "new.person@example.org",
                                                             "firstname": "Neu"})
    result = runs.run()
    assert result.success

    counts = per_list(result, LIST_A)
    assert (counts["pass"], counts["read"], counts["new"], counts["updated"], counts["deleted"]) == \
        ("incremental", 201, 1, 1, 0)
    # Everyone older than the watermark was filtered out; the newest aged recipient is re-read
    # (the bound is inclusive) and left alone because it did not change.
    assert counts["kept"] == 3
    after = runs.rows(LIST_A)
    assert after.loc[changed, "attr_city"] == "Neustadt an der Weinstraße"
    assert after.loc["new.person@example.org", "attr_firstname"] == "Neu"
    rewritten = after.index[after["imported_at"] != after["imported_at"].min()]
    assert sorted(rewritten) == sorted([changed, "new.person@example.org"])
    untouched = before.index.difference([changed])
    pd.testing.assert_frame_equal(after.loc[untouched], before.loc[untouched])
    assert runs.state(LIST_A).watermark > watermark
    assert per_list(result, LIST_B)["new"] == per_list(result, LIST_B)["updated"] == 0


def test_full_pass_marks_a_deleted_recipient_and_clears_the_mark_when_it_returns(sandbox, runs):
    campaign = sandbox.state.client(1000)
    runs.configure(TWO_LISTS)
    assert runs.run().success
    gone = sorted(campaign.lists[LIST_A].recipients)[120]
    attributes = dict(campaign.get_recipient(LIST_A, gone).attributes)
    assert campaign.delete_recipient(LIST_A, gone)

    incremental = runs.run()
    assert incremental.success and per_list(incremental, LIST_A)["pass"] == "incremental"
    assert pd.isna(runs.rows(LIST_A).loc[gone, "deleted_at"]), "only a full pass can notice a deletion"

    # The cadence, not a request, makes this pass full: the last one is full_pass_every_days (7) old.
    runs.set_last_full_pass(LIST_A, dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7))
    full = runs.run()
    assert full.success
    counts = per_list(full, LIST_A)
    assert (counts["pass"], counts["deleted"], counts["new"], counts["updated"]) == ("full", 1, 0, 0)
    rows = runs.rows(LIST_A)
    assert len(rows) == 200 and rows["deleted_at"].notna().sum() == 1
    assert pd.notna(rows.loc[gone, "deleted_at"])
    assert per_list(full, LIST_B)["pass"] == "incremental"
    assert (materialization(full)["dagster/row_count"].value, materialization(full)["rows_not_deleted"].value) == \
        (400, 399)

    campaign.add_recipient(LIST_A, gone, attributes)
    back = runs.run()
    assert back.success
    assert (per_list(back, LIST_A)["restored"], per_list(back, LIST_A)["new"]) == (1, 0)
    assert runs.rows(LIST_A)["deleted_at"].isna().all()


def test_a_newly_chosen_attribute_is_added_as_a_column_and_filled_by_a_full_pass(sandbox, runs):
    runs.configure(f"lists: [{LIST_A}, {LIST_B}]\n")
    assert runs.run().success
    assert not [c for c in runs.rows(LIST_A).columns if c.startswith("attr_")], "no attributes chosen, none imported"

    runs.configure(f"lists:\n  - id: {LIST_A}\n    attributes: [zip, company]\n  - {LIST_B}\n")
    result = runs.run()
    assert result.success
    counts = per_list(result, LIST_A)
    campaign = sandbox.state.client(1000)
    people = campaign.lists[LIST_A].recipients.values()
    with_company = sum(1 for r in people if r.attributes.get("company"))
    with_either = sum(1 for r in people if r.attributes.get("company") or r.attributes.get("zip"))
    assert 0 < with_company < with_either < 200
    # Rows whose new fields are both empty equal the stored ones: rewritten are only those that gained a value.
    assert counts["pass"] == "full" and counts["updated"] == with_either
    rows = runs.rows(LIST_A)
    assert rows["attr_company"].notna().sum() == with_company
    sample = sorted(campaign.lists[LIST_A].recipients)[7]
    assert rows.loc[sample, "attr_zip"] == campaign.lists[LIST_A].recipients[sample].attributes["zip"]
    assert per_list(result, LIST_B)["pass"] == "incremental"
    assert runs.rows(LIST_B)[["attr_zip", "attr_company"]].isna().all().all()


def test_a_recipient_that_slips_between_pages_is_asked_for_and_not_marked(sandbox, runs, monkeypatch):
    """Offset paging over a list that shrinks while it is read skips one recipient; the full pass asks
    Campaign about each unseen row before marking it."""
    campaign = sandbox.state.client(1000)
    runs.configure(TWO_LISTS)
    assert runs.run().success
    gone = sorted(campaign.lists[LIST_A].recipients)[30]
    assert campaign.delete_recipient(LIST_A, gone)
    skipped = sorted(campaign.lists[LIST_A].recipients)[100]  # first of the third page: slips past
    select = campaign.select_recipients

    def page_without_skipped(list_id, offset, limit, *args, **kwargs):
        page, total = select(list_id, offset, limit, *args, **kwargs)
        return [r for r in page if r.recipient_id != skipped], total

    monkeypatch.setattr(campaign, "select_recipients", page_without_skipped)
    result = runs.run(full_pass=True)
    assert result.success
    counts = per_list(result, LIST_A)
    assert (counts["read"], counts["deleted"], counts["rechecked_present"]) == (198, 1, 1)
    rows = runs.rows(LIST_A)
    assert pd.notna(rows.loc[gone, "deleted_at"]) and pd.isna(rows.loc[skipped, "deleted_at"])


def test_the_code_locations_job_imports_the_sandbox_with_the_shipped_config(sandbox_env, warehouse_url, monkeypatch):
    from episerver_assets.definitions import build_definitions

    monkeypatch.delenv("EPISERVER_RECIPIENTS_CONFIG", raising=False)
    monkeypatch.setenv("EPISERVER_WAREHOUSE_URL", warehouse_url)
    with dg.DagsterInstance.ephemeral() as instance:
        result = build_definitions().resolve_job_def("campaign_recipients_job").execute_in_process(instance=instance)
    assert result.success
    metadata = materialization(result)
    assert metadata["dagster/row_count"].value == 400 and metadata["new"].value == 400
    columns = {c.name for c in metadata["dagster/column_schema"].value.columns}
    assert {"attr_salutation", "attr_firstname", "attr_lastname", "attr_city"} <= columns
