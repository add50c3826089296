"""Audience members and history on both engines: enter, stay, exit, re-enter; CRM join by address."""

from __future__ import annotations

import datetime as dt

from episerver_assets.defs.audiences.config import load_audiences
from episerver_assets.defs.crm.contacts import contacts
from episerver_assets.defs.profiles.tables import user_profiles
from episerver_assets.warehouse import WarehouseResource

from .audiences_support import (
    at,
    contact,
    ensure_tables,
    history,
    members,
    profile,
    recompute,
    replace_rows,
    write_audiences,
)

AUDIENCES = """\
audiences:
  - name: Openers
    slug: openers
    description: opened twice
    filter: opens >= 2 AND hard_bounces = 0
  - name: Leads
    slug: leads
    filter: |
      contact.entity_type = 'lead'
      AND coalesce(clicks, 0) = 0
  - name: Known Viennese
    slug: known_viennese
    filter: profile.person_id IS NOT NULL AND lower(contact.city) IN ('wien')
"""


def test_enter_stay_exit_and_reenter(warehouse: WarehouseResource, tmp_path):
    audiences = load_audiences(write_audiences(tmp_path, AUDIENCES))
    ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=3),
                                            profile("p2", "bob@example.com", opens=1)])
    first = recompute(warehouse, audiences, at(0))
    assert first["openers"].members == 1 and first["openers"].entered == 1

    # bob enters, ann stays (keeps her entry time)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=4),
                                            profile("p2", "bob@example.com", opens=2)])
    second = recompute(warehouse, audiences, at(1))
    assert (second["openers"].members, second["openers"].entered, second["openers"].exited) == (2, 1, 0)
    # ann bounces hard: she exits
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=4, hard_bounces=1),
                                            profile("p2", "bob@example.com", opens=2)])
    third = recompute(warehouse, audiences, at(2))
    assert (third["openers"].members, third["openers"].entered, third["openers"].exited) == (1, 0, 1)
    # the bounce is forgiven: she enters again, with a new entry time
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=5),
                                            profile("p2", "bob@example.com", opens=2)])
    recompute(warehouse, audiences, at(3))
    recompute(warehouse, audiences, at(4))  # nothing changes

    assert [m for m in members(warehouse) if m[0] == "openers"] == [
        ("openers", "ann@example.com", "p1", at(3)), ("openers", "bob@example.com", "p2", at(1))]
    assert history(warehouse, "openers") == [
        (at(0), "ann@example.com", "enter"), (at(1), "bob@example.com", "enter"),
        (at(2), "ann@example.com", "exit"), (at(3), "ann@example.com", "enter")]


def test_contacts_join_profiles_by_lower_cased_address(warehouse: WarehouseResource, tmp_path):
    audiences = load_audiences(write_audiences(tmp_path, AUDIENCES))
    ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", clicks=2),
                                            profile("p2", "bob@example.com"), profile("p3", None)])
    replace_rows(warehouse, contacts, [
        contact("L1", " ANN@Example.com ", "lead", city="Wien"),  # has clicked: not in leads
        contact("L2", "Bob@Example.COM", "lead", city="WIEN"),
        contact("L3", "bob@example.com", "contact"),  # a second CRM entity of the same address
        contact("L4", "new.lead@example.com", "lead", city="Wien"),  # CRM only: no profile
        contact("L5", None, "lead"), contact("L6", "", "lead"),  # nothing to key a member by
    ])
    counts = recompute(warehouse, audiences, at(0))

    assert [m[:3] for m in members(warehouse)] == [
        ("known_viennese", "ann@example.com", "p1"), ("known_viennese", "bob@example.com", "p2"),
        ("leads", "bob@example.com", "p2"), ("leads", "new.lead@example.com", None)]
    assert {slug: c.members for slug, c in counts.items()} == {"openers": 0, "leads": 2, "known_viennese": 2}


def test_an_audience_removed_from_the_file_loses_its_members(warehouse: WarehouseResource, tmp_path):
    ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=3)])
    recompute(warehouse, load_audiences(write_audiences(tmp_path, AUDIENCES)), at(0))
    only_leads = AUDIENCES.split("  - name: Leads")[0].replace("Openers", "Leads only").replace(
        "slug: openers", "slug: leads").replace("opens >= 2 AND hard_bounces = 0", "contact.entity_type = 'lead'")
    counts = recompute(warehouse, load_audiences(write_audiences(tmp_path, only_leads, "b.yaml")), at(1))

    assert set(counts) == {"leads"}
    assert members(warehouse) == []
    assert history(warehouse, "openers") == [(at(0), "ann@example.com", "enter"), (at(1), "ann@example.com", "exit")]


def test_duckdb_and_postgresql_find_the_same_members(duckdb_url, postgres_url, tmp_path):
    audiences = load_audiences(write_audiences(tmp_path, AUDIENCES + """\
  - name: Recent
    slug: recent
    filter: ep_lastopen_ts >= now() - INTERVAL '30 days' OR ep_firstclick_ts < TIMESTAMP '2026-01-01 00:00:00+00'
  - name: Long names
    slug: long_names
    filter: length(first_name) BETWEEN 4 AND 6 AND upper(last_name) LIKE 'M%' AND NOT (company IS NULL)
"""))
    now = dt.datetime.now(dt.UTC)
    people = [profile(f"p{n}", f"user{n}@example.com", opens=n % 4, clicks=n % 3, hard_bounces=int(n % 7 == 0),
                      ep_lastopen_ts=now - dt.timedelta(days=n), ep_firstclick_ts=at(-24 * 330 - n))
              for n in range(60)]
    crm = [contact(f"C{n}", f"User{n}@Example.com" if n % 2 else f"crm{n}@example.com",
                   ("contact", "lead", "account")[n % 3], city=("Wien", "wien", "Köln")[n % 3],
                   first_name=("Anna", "Jürgen", "Bo", None)[n % 4], last_name=("Müller", "mayer", "Öz")[n % 3],
                   company=None if n % 5 else "ACME")
           for n in range(90)]
    found = {}
    for url in (duckdb_url, postgres_url):
        warehouse = WarehouseResource(url=url)
        ensure_tables(warehouse)
        replace_rows(warehouse, user_profiles, people)
        replace_rows(warehouse, contacts, crm)
        counts = recompute(warehouse, audiences, at(0))
        found[warehouse.dialect] = (members(warehouse), counts)
    assert found["duckdb"] == found["postgresql"]
    assert all(c.members > 0 for c in found["duckdb"][1].values()), found["duckdb"][1]


def test_a_staying_member_follows_a_new_person_id_and_keeps_entered_at(warehouse: WarehouseResource, tmp_path):
    audiences = load_audiences(write_audiences(tmp_path, AUDIENCES))
    ensure_tables(warehouse)
    replace_rows(warehouse, user_profiles, [profile("p1", "ann@example.com", opens=3)])
    recompute(warehouse, audiences, at(0))
    replace_rows(warehouse, user_profiles, [profile("merged", "ann@example.com", opens=3)])
    counts = recompute(warehouse, audiences, at(1))

    assert (counts["openers"].entered, counts["openers"].exited) == (0, 0)
    assert members(warehouse) == [("openers", "ann@example.com", "merged", at(0))]
