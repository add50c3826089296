"""An audiences computation that waits for another one's lock stamps its changes after that one commits
(both engines): the exports' plans read only the changes stamped after what they last saw, so a
computation committing later must never carry an earlier stamp."""

from __future__ import annotations

import datetime as dt
import threading
import time

import dagster as dg
import sqlalchemy as sa

from episerver_assets.defs.audiences import assets as audiences
from episerver_assets.defs.audiences.tables import audience_history, audience_members
from episerver_assets.defs.profiles.tables import user_profiles
from episerver_assets.warehouse import partition_lock

from .audiences_support import ensure_tables, profile, replace_rows


def _someone_waits_for_the_lock(warehouse) -> bool:
    if warehouse.dialect == "postgresql":
        with warehouse.begin() as connection:
            return bool(connection.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar_one())
    return any(users > 1 for _, users in partition_lock._IN_PROCESS._locks.values())


def test_a_computation_that_waited_for_the_lock_stamps_after_the_holder_commits(warehouse):
    ensure_tables(warehouse)
    audiences._ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=3)])
    outcome = {}

    def compute() -> None:
        outcome["result"] = dg.materialize([audiences.audience_assets], resources={"warehouse": warehouse},
                                           raise_on_error=False)

    with warehouse.exclusive_partition(audience_members, "all"):
        waiting = threading.Thread(target=compute)
        waiting.start()
        deadline = time.monotonic() + 60
        while not _someone_waits_for_the_lock(warehouse):
            assert time.monotonic() < deadline, "the computation never waited for the lock"
            time.sleep(0.01)  # polling a real condition with a deadline, not a synchronising sleep
        released_at = dt.datetime.now(dt.UTC)
    waiting.join(timeout=120)

    assert outcome["result"].success
    with warehouse.begin() as connection:
        stamps = connection.execute(sa.select(audience_history.c.event_at)
                                    .where(audience_history.c.email == "ann@example.com")).scalars().all()
    assert stamps and all(stamp >= released_at for stamp in stamps)
