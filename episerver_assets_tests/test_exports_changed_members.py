"""A plan after an applied one compares only the members changed since (both engines, against the sandbox):
it finds what a full comparison finds, carries the changes of plans never applied, and compares everything
again when the export's definition changes."""

from __future__ import annotations

import random

import sqlalchemy as sa

from episerver_assets.defs.exports.config import ExitBehaviour
from episerver_assets.defs.exports.tables import plan_inputs, plan_rows

from .exports_support import ExportWorld, failure_of, metadata_of, person

MAPPING = {"ep_recipient_id": "crm_recipient_id"}


def _planned(world: ExportWorld, plan) -> set[tuple]:
    run_id = plan.run_id
    with world.warehouse.begin() as connection:
        rows = connection.execute(sa.select(plan_rows.c.action, plan_rows.c.recipient_id, plan_rows.c.payload)
                                  .where(plan_rows.c.plan_id == run_id)).all()
    return {tuple(row) for row in rows}


def _scope(plan) -> tuple[str, int]:
    metadata = metadata_of(plan)
    return metadata["compared"], metadata["members_compared"]


def test_a_plan_after_an_applied_one_compares_only_the_changed_members(sandbox, sandbox_env, warehouse_url,
                                                                        tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, field_mapping=MAPPING)
    world.suppress()
    people = [person(n, opens=1, ep_recipient_id=f"R-{n}") for n in range(1, 9)]
    world.people(*people)
    plan, _ = world.sync()
    assert _scope(plan) == ("full", 8)

    people[2] = person(3, opens=1, ep_recipient_id="R-33")  # a mapped field changes, membership does not
    people[4] = person(5, clicks=1, ep_recipient_id="R-5")  # moves from Openers to Clickers
    world.people(*people)
    plan, _ = world.sync()
    assert _scope(plan) == ("changes", 2)
    assert metadata_of(plan)["action/update"] == 2 and metadata_of(plan)["changes"] == 2
    recipients = world.recipients()
    assert recipients["user3@example.com"]["crm_recipient_id"] == "R-33"
    assert recipients["user5@example.com"]["audiences"] == "Clickers"

    world.people(*people[1:])  # user1 leaves every audience: compared as the only change
    plan, _ = world.sync()
    assert _scope(plan) == ("changes", 0)  # no member row: the exit is found in the ledger
    assert metadata_of(plan)["action/clear_membership"] == 1
    assert world.recipients()["user1@example.com"]["audiences"] == ""

    plan, apply = world.sync()
    assert _scope(plan) == ("changes", 0) and metadata_of(plan)["changes"] == 0
    assert metadata_of(apply)["dagster/row_count"] == 0


def test_changes_of_a_plan_never_applied_come_back_in_the_next(sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(person(1, opens=1), person(2, opens=1), person(3))
    world.sync()

    world.people(person(1, opens=1), person(2, opens=1), person(3, opens=1))
    unapplied = world.plan()
    assert unapplied.success, failure_of(unapplied)
    world.people(person(1, opens=1), person(2, opens=1, clicks=1), person(3, opens=1))
    plan, _ = world.sync()

    assert _scope(plan)[0] == "changes"
    assert {(action, rid) for action, rid, _ in _planned(world, plan)} == {
        ("add", "user3@example.com"), ("update", "user2@example.com")}
    assert {rid: r["audiences"] for rid, r in world.recipients().items()} == {
        "user1@example.com": "Openers", "user2@example.com": "Openers, Clickers", "user3@example.com": "Openers"}


def test_a_changed_definition_or_the_run_config_makes_a_full_comparison(sandbox, sandbox_env, warehouse_url,
                                                                          tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)
    world.suppress()
    world.people(person(1, opens=1, clicks=1), person(2, clicks=1))
    world.sync()

    world.configure(**{**world.export.model_dump(), "separator": " | "})
    plan, _ = world.sync()
    assert _scope(plan) == ("full", 2)
    assert "definition changed" in metadata_of(plan)["compared_because"]
    assert world.recipients()["user1@example.com"]["audiences"] == "Openers | Clickers"

    plan = world.plan(compare_all=True)
    assert plan.success, failure_of(plan)
    assert _scope(plan) == ("full", 2) and metadata_of(plan)["changes"] == 0
    with world.warehouse.begin() as connection:
        reasons = connection.execute(sa.select(plan_inputs.c.scope, plan_inputs.c.reason)
                                     .order_by(plan_inputs.c.plan_id)).all()
    assert ("full", "the run config asked for a full comparison") in {tuple(r) for r in reasons}


def test_changes_only_plans_find_what_full_comparisons_find(sandbox, sandbox_env, warehouse_url, tmp_path):
    """Random rounds of entries, exits, moves, mapped-field changes and rejections: each round's changes-only
    plan holds exactly the rows a full comparison of the same state holds, whether the last applied plan
    compared everything or only changes."""
    world = ExportWorld(sandbox, warehouse_url, tmp_path, field_mapping=MAPPING,
                        exit=ExitBehaviour.REMOVE_WHEN_NO_AUDIENCE_LEFT)
    world.suppress()
    draw = random.Random(20261130)

    def someone(n: int) -> dict:
        return person(n, opens=draw.choice((0, 1)), clicks=draw.choice((0, 0, 1)),
                      ep_recipient_id=draw.choice((f"R-{n}", f"R-{n}b", None)))

    people = {n: someone(n) for n in range(40)}
    world.people(*people.values())
    world.sync(confirm=True)
    rejected = 0
    for round_number in range(5):
        changed = draw.sample(sorted(people), 6)
        for n in changed:
            people[n] = someone(n)
        # A new member, blocklisted: the add is rejected now and due again next round.
        people[100 + round_number] = person(100 + round_number, opens=1)
        blocked = f"user{100 + round_number}@example.com"
        world.campaign.add_blocklist_entry(blocked, reason="test")
        world.people(*people.values())

        # Apply takes the latest plan: every other round the changes-only one, so later rounds start from it.
        plans = {}
        for compare_all in ((False, True) if round_number % 2 else (True, False)):
            plans[compare_all] = world.plan(confirm=True, compare_all=compare_all)
            assert plans[compare_all].success, failure_of(plans[compare_all])
        changes_only, full = plans[False], plans[True]
        assert _scope(changes_only)[0] == "changes" and _scope(changes_only)[1] < len(people)
        assert _planned(world, changes_only) == _planned(world, full), f"round {round_number}"
        assert metadata_of(changes_only)["held_back_for_retry"] == metadata_of(full)["held_back_for_retry"]
        apply = world.apply()
        assert apply.success, failure_of(apply)
        rejected += metadata_of(apply).get("status/rejected", 0)
        world.campaign.remove_blocklist_entry(blocked)
    assert rejected == 5  # each round rejected its new member's add, retried in the next


def test_a_recipient_id_shared_by_two_members_fails_the_plan_also_when_one_of_them_is_unchanged(
        sandbox, sandbox_env, warehouse_url, tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, identifier="ep_recipient_id", membership_field=None)
    world.suppress()
    world.people(person(1, opens=1, ep_recipient_id="R-1"), person(2, opens=1, ep_recipient_id="R-1"))
    both_new = world.plan(confirm=True)
    assert not both_new.success and "1 recipient ids of identifier 'ep_recipient_id' are shared" in failure_of(
        both_new)

    world.people(person(1, opens=1, ep_recipient_id="R-1"), person(2, opens=1, ep_recipient_id="R-2"))
    world.sync(confirm=True)
    world.people(person(1, opens=1, ep_recipient_id="R-1"), person(2, opens=1, ep_recipient_id="R-1"))
    one_changed = world.plan()  # only person 2 is compared; person 1 holds R-1 in the ledger
    assert not one_changed.success and "are shared by more than one member" in failure_of(one_changed)


def test_a_plan_on_a_warehouse_the_audiences_never_wrote_to_compares_nobody(sandbox, sandbox_env, tmp_path):
    import dagster as dg

    from episerver_assets.defs.audiences.config import load_audiences
    from episerver_assets.defs.exports.config import Export
    from episerver_assets.defs.exports.plan_asset import build_plan_asset
    from episerver_assets.resources import rest_resource
    from episerver_assets.settings import load_settings
    from episerver_assets.warehouse import WarehouseResource

    from .audiences_support import write_audiences
    from .exports_support import AUDIENCES_YAML, ENGAGED_LIST

    audiences = load_audiences(write_audiences(tmp_path, AUDIENCES_YAML))
    export = Export(name="fresh", audiences=("openers",), recipient_list_id=ENGAGED_LIST)
    asset = build_plan_asset(export, audiences)
    plan = dg.materialize([asset], raise_on_error=False, resources={
        "warehouse": WarehouseResource(url=f"duckdb:///{tmp_path}/fresh.duckdb"),
        "rest": rest_resource(load_settings())},
        run_config={"ops": {asset.op.name: {"config": {"confirm": True}}}})  # suppressions never loaded either
    assert plan.success, failure_of(plan)
    assert _scope(plan) == ("full", 0) and metadata_of(plan)["changes"] == 0
