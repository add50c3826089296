"""Two processes recomputing the audiences at once (an automation run beside a manual one) leave each member
once and record each entry once, on both engines: the recompute holds the audiences' lock."""

from __future__ import annotations

from collections import Counter

from episerver_assets.defs.audiences.config import load_audiences
from episerver_assets.defs.profiles.tables import user_profiles
from episerver_assets.warehouse import WarehouseResource

from .audiences_support import at, ensure_tables, members, profile, replace_rows, write_audiences
from .process_race import race

PEOPLE, ROUNDS = 300, 3
AUDIENCES = """\
audiences:
  - {name: Openers, slug: openers, filter: opens >= 1}
  - {name: Clickers, slug: clickers, filter: clicks >= 1}
"""


def _recompute(warehouse_url: str, path: str, start, results) -> None:
    from .audiences_support import recompute

    try:
        warehouse, audiences = WarehouseResource(url=warehouse_url), load_audiences(path)
        for round_number in range(ROUNDS):
            start.wait(timeout=60)
            recompute(warehouse, audiences, at(round_number))
        results.put("ok")
    except Exception as error:  # reported to the test, which fails on it
        results.put(f"{type(error).__name__}: {error}")


def test_two_processes_recomputing_at_once_keep_each_member_and_entry_once(warehouse_url, tmp_path):
    warehouse = WarehouseResource(url=warehouse_url)
    ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile(f"p{n}", f"user{n}@example.com", opens=n % 2, clicks=int(n % 3 == 0))
                                            for n in range(PEOPLE)])
    path = write_audiences(tmp_path, AUDIENCES)

    outcomes = race(_recompute, warehouse_url, str(path))

    assert outcomes == ["ok", "ok"]
    expected = {("openers", f"user{n}@example.com") for n in range(PEOPLE) if n % 2} | \
               {("clickers", f"user{n}@example.com") for n in range(PEOPLE) if n % 3 == 0}
    current = Counter((audience, email) for audience, email, *_ in members(warehouse))
    assert set(current) == expected and set(current.values()) == {1}
    from episerver_assets.defs.audiences.tables import audience_history

    with warehouse.begin() as connection:
        events = Counter(tuple(row) for row in connection.execute(
            audience_history.select().with_only_columns(audience_history.c.audience, audience_history.c.email,
                                                       audience_history.c.event)).all())
    assert set(events) == {(a, e, "enter") for a, e in expected} and set(events.values()) == {1}
