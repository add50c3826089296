"""Two processes importing the same recipient list at once (a schedule beside a manual run) leave each
recipient once and the watermark where one import puts it, on both engines: the list's lock makes the
later write wait and then find every row already there."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from episerver_assets.warehouse import WarehouseResource

from .campaign_recipients_runs import LIST_A, age_recipients, runs  # noqa: F401 - fixture
from .process_race import race

BASE = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
EXTRA = 3000
"""recipients added to the list's 200: a longer write, which two unlocked imports would overlap"""


def _import(warehouse_url: str, start, results) -> None:
    import os

    import dagster as dg

    from episerver_assets.defs.campaign.recipients_asset import episerver_recipients

    from .campaign_recipients_runs import failure_message, per_list, rest_resource

    taking_the_lock = WarehouseResource.exclusive_partition

    @contextmanager
    def lined_up(warehouse, table, partition_value):
        start.wait(timeout=60)  # both passes have read the list: they reach the list's lock together
        with taking_the_lock(warehouse, table, partition_value) as connection:
            yield connection

    try:
        WarehouseResource.exclusive_partition = lined_up
        resources = {"rest": rest_resource(dict(os.environ), page_size=1000), "warehouse": WarehouseResource(url=warehouse_url)}
        start.wait(timeout=60)
        result = dg.materialize([episerver_recipients], resources=resources, raise_on_error=False)
        results.put(("ok", per_list(result, LIST_A)["new"]) if result.success else (failure_message(result), None))
    except Exception as error:  # reported to the test, which fails on it
        results.put((f"{type(error).__name__}: {error}", None))


def test_two_processes_importing_one_list_keep_each_recipient_once(sandbox, runs):
    campaign = sandbox.state.client(1000)
    for n in range(EXTRA):
        campaign.add_recipient(LIST_A, f"extra{n}@example.com", {"email": f"extra{n}@example.com", "firstname": "Ada"})
    age_recipients(campaign, LIST_A, BASE)
    runs.configure(f"lists:\n  - id: {LIST_A}\n    attributes: [firstname]\n")

    outcomes = race(_import, runs.warehouse.resolved_url)

    recipients = campaign.lists[LIST_A].recipients
    assert sorted(outcomes) == [("ok", 0), ("ok", len(recipients))]
    stored = runs.rows(LIST_A)
    assert stored.index.is_unique and set(stored.index) == set(recipients)
    assert stored["deleted_at"].isna().all()
    newest = max(max(r.created, r.modified) for r in recipients.values())
    assert runs.state(LIST_A).watermark.astimezone(dt.timezone.utc) == newest == BASE - dt.timedelta(minutes=1)
