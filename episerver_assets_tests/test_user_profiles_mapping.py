"""Each of the seed's field rules (Import Activity and Import Recipients), one test each, with the
expected values worked out by hand from the events below; both engines."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest

from episerver_assets.warehouse import WarehouseResource

from .user_profiles_support import (
    add_closed_loop, add_events, add_recipients, at, build, closed_loop_row, event, ms, profile_of,
    profile_rows, recipient,
)

ANN, CARL, DORA = "ann@example.com", "carl@example.com", "dora@example.com"
LYTICS = "http://www.lytics.io/?utm_source=google"  # urlmain: www.lytics.io/
LYTICS_AGAIN = "https://www.lytics.io/#pricing"  # the same main URL
A_COM = "https://a.com/b?x=1"  # urlmain: a.com/b
# hash(urlmain(link)), pinned in test_activity_urls.py from an independent SipHash implementation
LYTICS_HASH, A_COM_HASH = "1272651684649158109", "-5448837904950627796"


def _fill(warehouse: WarehouseResource) -> None:
    add_recipients(
        warehouse,
        recipient(1, "R1", "Ann@Example.com", created=at(-1000), modified=at(-500)),
        recipient(2, "R1", "ann@example.com", created=at(-900), modified=at(-400)),
        recipient(1, "R4", DORA, created=at(-800), modified=at(-300)),
    )
    add_events(
        warehouse,
        event("open", at(1.0004), email=ANN, recipient="R1", mailing="501", list_id="77", client="9001"),
        event("open", at(5), email=ANN, recipient="R1", mailing="502", list_id="78"),
        event("click", at(3), email=ANN, recipient="R1", mailing="501", link=LYTICS),
        event("click", at(7), email=ANN, recipient="R1", mailing="502", link=LYTICS_AGAIN),
        event("click", at(6), email=ANN, recipient="R1", mailing="501", link=A_COM),
        event("bounce", at(9), email=ANN, recipient="R1", mailing="", client="9002"),
        event("sent", at(2), email=CARL, recipient=None, mailing="503", client="9001"),
    )
    add_closed_loop(warehouse, "opens", closed_loop_row("opens", "Ann@Example.com", at(100)),
                    closed_loop_row("opens", ANN, at(200)))
    add_closed_loop(warehouse, "clicks", closed_loop_row("clicks", ANN, at(150)))
    add_closed_loop(warehouse, "responses",
                    closed_loop_row("responses", ANN, at(300), category="fatal_bounce"),
                    closed_loop_row("responses", ANN, at(400), category="bounce"),
                    closed_loop_row("responses", ANN, at(500), category="autoresponder"))
    add_closed_loop(warehouse, "unsubscribes", closed_loop_row("unsubscribes", ANN, at(600)))


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, tmp_path_factory):
    """The scenario built once per engine (module scope keeps the file fast)."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('profiles') / 'warehouse.duckdb'}"
    else:
        server = request.getfixturevalue("postgres_server_url")
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{server.rpartition('/')[0]}/{name}"
    warehouse = WarehouseResource(url=url)
    build(warehouse)  # creates the tables
    _fill(warehouse)
    build(warehouse, full_rebuild=True)
    yield warehouse
    warehouse.engine.dispose()


def _ts(seconds: float) -> dt.datetime:
    """epochms(): the time in whole milliseconds."""
    moment = at(seconds)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_one_row_per_person(built):
    assert sorted(row["email"] for row in profile_rows(built)) == [ANN, CARL, DORA]


def test_ep_client_id_is_the_latest_events_client(built):
    assert profile_of(built, ANN)["ep_client_id"] == "9002"  # the bounce at 9 s is the latest event
    assert profile_of(built, DORA)["ep_client_id"] is None


def test_email_is_lower_cased(built):
    assert profile_of(built, ANN)["emails"] == '["ann@example.com"]'


def test_last_channel_activities_maps_email_to_the_latest_open_or_click(built):
    assert profile_of(built, ANN)["last_channel_activities"] == f'{{"email":{ms(at(7))}}}'
    assert profile_of(built, CARL)["last_channel_activities"] is None  # only a "sent" event


def test_ep_lastclick_ts(built):
    assert profile_of(built, ANN)["ep_lastclick_ts"] == _ts(7)


def test_ep_lastopen_ts(built):
    assert profile_of(built, ANN)["ep_lastopen_ts"] == _ts(5)


def test_ep_firstclick_ts(built):
    assert profile_of(built, ANN)["ep_firstclick_ts"] == _ts(3)


def test_ep_firstopen_ts_is_truncated_to_milliseconds(built):
    assert profile_of(built, ANN)["ep_firstopen_ts"] == _ts(1)  # 1.0004 s -> 1.000 s
    assert profile_of(built, CARL)["ep_firstopen_ts"] is None


def test_last_active_ts_is_the_latest_event_or_recipient_activity(built):
    assert profile_of(built, ANN)["last_active_ts"] == _ts(9)  # any type, the bounce included
    assert profile_of(built, CARL)["last_active_ts"] == _ts(2)
    assert profile_of(built, DORA)["last_active_ts"] == _ts(-300)  # the recipient's last_active_ts


def test_ep_recipient_id(built):
    assert profile_of(built, ANN)["ep_recipient_id"] == "R1"
    assert profile_of(built, CARL)["ep_recipient_id"] is None
    assert profile_of(built, DORA)["ep_recipient_id"] == "R4"


def test_channels_is_email_when_opened_or_clicked(built):
    assert profile_of(built, ANN)["channels"] == '["email"]'
    assert profile_of(built, CARL)["channels"] is None


def test_ep_links_is_the_sorted_set_of_links(built):
    assert profile_of(built, ANN)["ep_links"] == f'["{LYTICS}","{A_COM}","{LYTICS_AGAIN}"]'
    assert profile_of(built, CARL)["ep_links"] is None


def test_ep_mailing_id_skips_empty_values(built):
    assert profile_of(built, ANN)["ep_mailing_id"] == '["501","502"]'
    assert profile_of(built, CARL)["ep_mailing_id"] == '["503"]'


def test_ep_recipient_list_id_is_the_events_lists(built):
    assert profile_of(built, ANN)["ep_recipient_list_id"] == '["77","78"]'


def test_hashedurls_counts_clicks_per_hashed_main_url(built):
    assert profile_of(built, ANN)["hashedurls"] == f'{{"{A_COM_HASH}":1,"{LYTICS_HASH}":2}}'
    assert profile_of(built, CARL)["hashedurls"] is None


def test_ep_event_type_counts_events_per_type(built):
    assert profile_of(built, ANN)["ep_event_type"] == '{"bounce":1,"click":3,"open":2}'
    assert profile_of(built, CARL)["ep_event_type"] == '{"sent":1}'


def test_ep_created_and_modified_date_come_from_the_row_modified_last(built):
    ann = profile_of(built, ANN)
    assert (ann["ep_created_date"], ann["ep_modified_date"]) == (at(-900), at(-400))  # list 2's row
    assert profile_of(built, CARL)["ep_created_date"] is None


def test_import_recipient_list_ids(built):
    assert profile_of(built, ANN)["import_recipient_list_ids"] == '["1","2"]'


def test_closed_loop_facts(built):
    ann = profile_of(built, ANN)
    naive = lambda seconds: at(seconds).replace(tzinfo=None)  # noqa: E731
    assert (ann["opens"], ann["clicks"], ann["hard_bounces"], ann["unsubscribes"]) == (2, 1, 1, 1)
    assert (ann["last_bounce_ts"], ann["last_unsubscribe_ts"]) == (naive(400), naive(600))
    carl = profile_of(built, CARL)
    assert (carl["opens"], carl["hard_bounces"], carl["last_bounce_ts"]) == (0, 0, None)
