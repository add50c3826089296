"""The recipients import when Campaign or the configuration fails: nothing half written, the
watermark kept, one clear error. Against the running sandbox, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from episerver_assets.defs.campaign.recipient_tables import episerver_recipients as recipients_table
from episerver_assets.sandbox.rest.wire import ApiError

from .campaign_recipients_runs import (  # noqa: F401 - fixture
    LIST_A,
    LIST_B,
    age_recipients,
    failure_message,
    per_list,
    runs,
)

TWO_LISTS = f"lists:\n  - id: {LIST_A}\n    attributes: [city]\n  - {LIST_B}\nkeep_active: true\n"


def test_a_failed_page_leaves_the_lists_rows_and_watermark_and_the_next_run_catches_up(
    sandbox, runs, monkeypatch
):
    campaign = sandbox.state.client(1000)
    age_recipients(campaign, LIST_A, dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
    runs.configure(TWO_LISTS)
    assert runs.run().success
    state_a, state_b, rows_a = runs.state(LIST_A), runs.state(LIST_B), runs.rows(LIST_A)

    changed = sorted(campaign.lists[LIST_A].recipients)[10]  # on the first page, read before the failure
    assert campaign.update_recipient(LIST_A, changed, {"city": "Zwickau"})
    select = campaign.select_recipients

    def third_page_fails(list_id, offset, *args, **kwargs):
        if list_id == LIST_A and offset >= 100:
            raise ApiError(500, "Internal server error (injected on the third page).")
        return select(list_id, offset, *args, **kwargs)

    monkeypatch.setattr(campaign, "select_recipients", third_page_fails)
    failed = runs.run()
    assert not failed.success
    assert f"{LIST_A}" in failure_message(failed) and "500" in failure_message(failed)
    assert runs.state(LIST_A) == state_a, "the watermark (and the whole state row) must not move"
    pd.testing.assert_frame_equal(runs.rows(LIST_A), rows_a)
    assert runs.state(LIST_B).updated_at > state_b.updated_at, "the other list still runs"

    monkeypatch.setattr(campaign, "select_recipients", select)
    again = runs.run()
    assert again.success
    assert (per_list(again, LIST_A)["updated"], per_list(again, LIST_A)["new"]) == (1, 0)
    assert runs.rows(LIST_A).loc[changed, "attr_city"] == "Zwickau"
    assert runs.state(LIST_A).watermark > state_a.watermark


def test_an_attribute_the_list_lacks_fails_before_anything_is_written(sandbox, runs):
    runs.configure(f"lists:\n  - {LIST_A}\n  - id: {LIST_B}\n    attributes: [city, shoe_size]\n")
    result = runs.run()
    assert not result.success
    message = failure_message(result)
    assert str(runs.config_file) in message and "lists[1]" in message and "'shoe_size'" in message
    assert f"recipient list {LIST_B} has no field" in message
    with runs.warehouse.begin() as connection:
        known = connection.execute(sa.text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'campaign' "
            "AND table_name = :name"), {"name": recipients_table.name}).scalar_one()
    assert known == 0, "the run stopped before creating or filling any table"


def test_a_list_that_does_not_exist_is_named_with_its_key(sandbox, runs):
    runs.configure(f"lists: [{LIST_A}, 58001000899]\n")
    result = runs.run()
    assert not result.success
    message = failure_message(result)
    assert str(runs.config_file) in message and "lists[1]" in message and "58001000899" in message


def test_a_broken_file_fails_the_run_naming_file_line_and_key(sandbox, runs):
    runs.configure(f"lists:\n  - id: {LIST_A}\n    atributes: [city]\n")
    result = runs.run()
    assert not result.success
    assert f"{runs.config_file}, line 3, column 5: lists[0].atributes: Extra inputs are not permitted" in \
        failure_message(result)
