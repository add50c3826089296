"""A member the audiences computation moves to another person (two persons merged, or a CRM contact's first
profile) leaves no enter or exit event: a changes-only plan made between the profiles build and that
computation must not count the new profile as read (both engines, against the sandbox)."""

from __future__ import annotations

import datetime as dt

from episerver_assets.defs.profiles.tables import user_profiles

from .audiences_support import profile, recompute, replace_rows
from .exports_support import ExportWorld, failure_of, metadata_of, person


def test_a_member_moved_to_a_new_person_after_a_plan_is_found_by_the_next_plan(sandbox, sandbox_env, warehouse_url,
                                                                               tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path, field_mapping={"ep_recipient_id": "crm_recipient_id"})
    world.suppress()
    world.people(person(1, opens=1, ep_recipient_id="R-1"), person(2, opens=1, ep_recipient_id="R-2"))
    world.sync()

    # A profiles build merges user1 into a new person; the audiences are not computed yet.
    world.clock += dt.timedelta(minutes=1)
    replace_rows(world.warehouse, user_profiles, [
        {**profile("p1-merged", "user1@example.com", opens=1, ep_recipient_id="R-NEW"), "updated_at": world.clock},
        {**person(2, opens=1, ep_recipient_id="R-2"), "updated_at": world.last_people["p2"][1]}])
    between, _ = world.sync()
    assert metadata_of(between)["changes"] == 0  # the member still points at its old person

    world.clock += dt.timedelta(minutes=1)
    recompute(world.warehouse, world.audiences, world.clock)  # moves user1 to p1-merged: no event
    plan, apply = world.sync()
    assert metadata_of(plan)["compared"] == "changes", failure_of(plan)
    assert metadata_of(plan)["action/update"] == 1
    assert world.recipients()["user1@example.com"]["crm_recipient_id"] == "R-NEW"
