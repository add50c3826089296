"""Who is the same person: records sharing an address (any case) or a recipient id, transitively;
also across builds, when new activity joins two persons that earlier builds kept apart."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from episerver_assets.defs.campaign.recipient_tables import episerver_recipients

from .user_profiles_support import add_events, add_recipients, at, build, event, profile_of, profile_rows, recipient


def _person_id(smallest_key: str) -> str:
    return hashlib.md5(smallest_key.encode()).hexdigest()


def test_addresses_differing_in_case_are_one_person(warehouse):
    build(warehouse)
    add_recipients(warehouse, recipient(1, "R1", "ANN@EXAMPLE.COM", created=at(-10), modified=at(-5)))
    add_events(warehouse, event("open", at(1), email="Ann@Example.com"), event("open", at(2), email="ann@example.com"))
    build(warehouse)
    [row] = profile_rows(warehouse)
    assert (row["email"], row["ep_event_type"], row["ep_recipient_id"]) == ("ann@example.com", '{"open":2}', "R1")
    assert row["person_id"] == _person_id("e:ann@example.com")


def test_an_event_with_only_a_recipient_id_joins_the_address_the_import_knows(warehouse):
    build(warehouse)
    add_recipients(warehouse, recipient(1, "R1", "ann@example.com", created=at(-10), modified=at(-5)))
    add_events(warehouse, event("click", at(1), recipient="R1", link="https://a.com/b"),
               event("open", at(2), recipient="R2"))  # nobody knows R2's address
    build(warehouse)
    ann = profile_of(warehouse, "ann@example.com")
    assert (ann["ep_event_type"], ann["ep_recipient_id"]) == ('{"click":1}', "R1")
    assert ann["ep_links"] == '["https://a.com/b"]'
    [unknown] = [row for row in profile_rows(warehouse) if row["email"] is None]
    assert (unknown["ep_recipient_id"], unknown["person_id"]) == ("R2", _person_id("r:R2"))


def test_a_person_in_two_lists_is_one_person(warehouse):
    build(warehouse)
    add_recipients(warehouse, recipient(1, "R1", "ann@example.com", created=at(-10), modified=at(-5)),
                   recipient(2, "R1", "ann@example.com", created=at(-8), modified=at(-6)))
    add_events(warehouse, event("open", at(1), email="ann@example.com", recipient="R1", list_id="1"),
               event("open", at(2), email="ann@example.com", recipient="R1", list_id="2"))
    build(warehouse)
    [row] = profile_rows(warehouse)
    assert (row["ep_recipient_list_id"], row["import_recipient_list_ids"]) == ('["1","2"]', '["1","2"]')
    assert row["ep_event_type"] == '{"open":2}'


def test_keys_chain_transitively(warehouse):
    build(warehouse)
    add_recipients(warehouse, recipient(1, "R1", "bea@example.com", created=at(-10), modified=at(-5)))
    add_events(warehouse, event("open", at(1), email="ann@example.com", recipient="R1"),
               event("open", at(2), email="bea@example.com", recipient="R2"),
               event("open", at(3), recipient="R2"))
    build(warehouse)
    [row] = profile_rows(warehouse)
    assert (row["emails"], row["ep_recipient_ids"]) == ('["ann@example.com","bea@example.com"]', '["R1","R2"]')
    assert row["ep_event_type"] == '{"open":3}'


def test_new_activity_joins_two_existing_persons_incrementally(warehouse):
    build(warehouse)
    add_events(warehouse, event("open", at(1), email="bea@example.com"), event("click", at(2), recipient="R9"))
    assert build(warehouse).row_count == 2
    add_events(warehouse, event("open", at(3), email="bea@example.com", recipient="R9"))
    result = build(warehouse)
    assert (result.full, result.persons_merged, result.row_count) == (False, 1, 1)
    [row] = profile_rows(warehouse)
    assert (row["person_id"], row["ep_event_type"]) == (_person_id("e:bea@example.com"), '{"click":1,"open":2}')


def test_a_changed_recipient_address_rebuilds_in_full(warehouse):
    build(warehouse)
    add_recipients(warehouse, recipient(1, "R1", "old@example.com", created=at(-10), modified=at(-5)))
    add_events(warehouse, event("open", at(1), email="old@example.com"))
    build(warehouse)
    with warehouse.begin() as connection:
        connection.execute(sa.update(episerver_recipients).values(email="new@example.com", imported_at=at(10)))
    result = build(warehouse)
    assert (result.full, result.reason) == (True, "a recipient's address changed or its row vanished")
    # the old address only had its own event left: it is a person of its own again
    assert sorted(row["email"] for row in profile_rows(warehouse)) == ["new@example.com", "old@example.com"]
