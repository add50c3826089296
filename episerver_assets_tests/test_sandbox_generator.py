"""The data generator: determinism, the seed-004 wire format, consistency across files and with the state."""

from __future__ import annotations

import csv
import hashlib
import re
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from episerver_assets.sandbox import state as sandbox_state
from episerver_assets.sandbox.generator import (
    RESPONSE_FILE_COLUMNS,
    SCALES,
    Sizes,
    expire_old_files,
    populate,
    recipient,
    sizes_for_total_rows,
    write_response_day,
)
from episerver_assets.sandbox.generator import events as generator_events
from episerver_assets.sandbox.generator import names as generator_names
from episerver_assets.sandbox.generator.activation_lists import activation_list_ids

DAY = date(2024, 5, 17)
SEED = 42
CLIENT_ID = 1000

# Copied by hand from seed 004 ("Specifying response data"), not from the code under test.
SEED_004_COLUMNS = {
    "mailings": "id;compoundMasterId;mailingGroupId;mailing.recipientLists;started;finished",
    "mailingrecipients": (
        "id;mailingId;mailingGroupId;userId;created;sendingStatus;deliveryStatus;response.category"
    ),
    "links": "id;mailingId;mailingToUserId;mailingGroupId;name;url",
    "clicks": (
        "linkId;mailingId;mailingToUserId;mailingGroupId;userId;created;click.browser;click.platform;click.device"
    ),
    "opens": (
        "linkId;mailingId;mailingToUserId;mailingGroupId;userId;created;open.browser;open.platform;open.device"
    ),
    "automated_opens": "mailingId;mailingToUserId;mailingGroupId;userId;created;open.browser;open.platform",
    "unsubscribes": "mailingId;mailingToUserId;mailingGroupId;userId;created",
    "responses": "mailingId;mailingToUserId;mailingGroupId;userId;created;category",
}
FULLY_QUOTED_LINE = re.compile(r'^"(?:[^"]|"")*"(?:;"(?:[^"]|"")*")*$')
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ID = re.compile(r"^\d{11}$")
ID_COLUMNS = {"id", "mailingId", "linkId", "mailingToUserId", "compoundMasterId", "mailing.recipientLists"}


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def _read(directory: Path, table: str) -> list[dict[str, str]]:
    with open(directory / f"{DAY:%Y%m%d}_{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture(scope="module")
def populated():
    state = sandbox_state.SandboxState([sandbox_state.ClientAccount(CLIENT_ID, "user", "secret")])
    population = populate(state, SEED, "small")[CLIENT_ID]
    return state.client(CLIENT_ID), population


@pytest.fixture(scope="module")
def small_day(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("small_day")
    write_response_day(directory, DAY, SEED, "small", client_id=CLIENT_ID)
    return directory


def test_same_seed_gives_same_bytes_and_another_seed_other_bytes(tmp_path, small_day):
    write_response_day(tmp_path / "again", DAY, SEED, "small", client_id=CLIENT_ID)
    write_response_day(tmp_path / "other", DAY, SEED + 1, "small", client_id=CLIENT_ID)
    assert _digests(tmp_path / "again") == _digests(small_day)
    other = _digests(tmp_path / "other")
    assert other.keys() == _digests(small_day).keys()
    assert all(other[name] != digest for name, digest in _digests(small_day).items())


def test_output_does_not_depend_on_chunk_size(tmp_path):
    sizes = Sizes(recipients=3_000, lists=3, mailings_per_day=5, sends_per_day=2_500)
    write_response_day(tmp_path / "one_chunk", DAY, SEED, sizes, chunk_sends=1_000_000)
    write_response_day(tmp_path / "many_chunks", DAY, SEED, sizes, chunk_sends=97)
    assert _digests(tmp_path / "many_chunks") == _digests(tmp_path / "one_chunk")


def test_eight_files_with_the_seed_004_headers(small_day):
    names = sorted(p.name for p in small_day.iterdir())
    assert names == sorted(f"20240517_{table}.csv" for table in SEED_004_COLUMNS)
    for table, header in SEED_004_COLUMNS.items():
        assert ";".join(RESPONSE_FILE_COLUMNS[table]) == header
        first_line = (small_day / f"20240517_{table}.csv").read_bytes().split(b"\n", 1)[0]
        assert first_line == ";".join(f'"{c}"' for c in header.split(";")).encode()


def test_every_field_quoted_utf8_lf_and_parses_back_with_csv_and_pyarrow(small_day):
    for table, header in SEED_004_COLUMNS.items():
        raw = (small_day / f"20240517_{table}.csv").read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        lines = raw.decode("utf-8").split("\n")[:-1]
        assert len(lines) > 1, f"{table} has no rows for this seed"
        assert all(FULLY_QUOTED_LINE.match(line) for line in lines), table
        by_csv = _read(small_day, table)
        by_arrow = pa_csv.read_csv(
            small_day / f"20240517_{table}.csv",
            parse_options=pa_csv.ParseOptions(delimiter=";"),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in header.split(";")}, strings_can_be_null=False
            ),
        )
        assert by_arrow.column_names == header.split(";")
        assert by_arrow.to_pylist() == by_csv
    link_names = {row["name"] for row in _read(small_day, "links")}
    assert 'Angebot "Sommer; 20%"' in link_names and "Öffnungs-Pixel" in link_names


def test_values_ids_timestamps_and_enums(small_day):
    for table in SEED_004_COLUMNS:
        for row in _read(small_day, table):
            assert row["mailingGroupId"] == str(CLIENT_ID)
            for column in ID_COLUMNS & row.keys():
                assert ID.match(row[column]) and int(row[column]) < 2**63, (table, column, row[column])
            for column in ("created", "started", "finished"):
                if column in row:
                    assert TIMESTAMP.match(row[column]) and row[column].startswith("2024-05-17"), row
    recipients = _read(small_day, "mailingrecipients")
    assert {r["sendingStatus"] for r in recipients} <= {"sending", "sent", "could_not_be_sent"}
    assert {r["deliveryStatus"] for r in recipients} == {"", "OK", "HARD", "SOFT"}
    categories = {"", "unknown", "bounce", "temporary_bounce", "fatal_bounce", "autoresponder"}
    assert {r["response.category"] for r in recipients} <= categories
    assert {r["category"] for r in _read(small_day, "responses")} <= categories - {""}
    for table, key in (("mailings", "id"), ("mailingrecipients", "id"), ("links", "id")):
        keys = [row[key] for row in _read(small_day, table)]
        assert len(keys) == len(set(keys)), f"{table}.{key} not unique"


def test_files_refer_to_each_other(small_day):
    mailings = {m["id"]: m for m in _read(small_day, "mailings")}
    sends = {s["id"]: s for s in _read(small_day, "mailingrecipients")}
    links = {link["id"]: link for link in _read(small_day, "links")}
    assert {s["mailingId"] for s in sends.values()} == set(mailings)
    assert {link["mailingId"] for link in links.values()} == set(mailings)
    for link in links.values():
        assert sends[link["mailingToUserId"]]["mailingId"] == link["mailingId"]
    for table in ("clicks", "opens", "automated_opens", "unsubscribes", "responses"):
        for event in _read(small_day, table):
            send = sends[event["mailingToUserId"]]
            assert (event["mailingId"], event["userId"]) == (send["mailingId"], send["userId"]), table
            if table == "responses":
                assert event["category"] == send["response.category"]
            else:
                assert send["deliveryStatus"] == "OK", table
                assert event["created"] > send["created"], table
            if "linkId" in event:
                assert links[event["linkId"]]["mailingId"] == event["mailingId"]
    responded = [s for s in sends.values() if s["response.category"]]
    assert len(responded) == len(_read(small_day, "responses"))
    for mailing in mailings.values():
        assert mailing["started"] < mailing["finished"]
        own = [s["created"] for s in sends.values() if s["mailingId"] == mailing["id"]]
        assert mailing["started"] <= min(own) and max(own) <= mailing["finished"]


def test_files_agree_with_the_populated_state(small_day, populated):
    client, population = populated
    members = {lst.list_id: set(lst.recipients) for lst in client.lists.values()}
    sends = {s["id"]: s for s in _read(small_day, "mailingrecipients")}
    for mailing in _read(small_day, "mailings"):
        list_id = int(mailing["mailing.recipientLists"])
        assert list_id in population.list_ids
        for send in (s for s in sends.values() if s["mailingId"] == mailing["id"]):
            assert send["userId"] in members[list_id]
    for send in sends.values():
        if send["sendingStatus"] == "could_not_be_sent":
            assert client.is_blocklisted(send["userId"])
        if send["response.category"] == "fatal_bounce":
            assert client.hard_bounce_count(send["userId"]) >= sandbox_state.BOUNCE_THRESHOLD
    unsubscribed = {u["userId"] for u in _read(small_day, "unsubscribes")}
    assert unsubscribed and all(address.lower() in client.unsubscribes for address in unsubscribed)
    outcomes = {(s["sendingStatus"], s["response.category"]) for s in sends.values()}
    assert ("could_not_be_sent", "") in outcomes and ("sent", "fatal_bounce") in outcomes


def test_populate_creates_lists_recipients_and_suppressions(populated):
    client, population = populated
    sizes = SCALES["small"]
    assert set(client.lists) == set(population.list_ids) | activation_list_ids(client.account.client_id)
    assert len(population.list_ids) == sizes.lists
    assert all(not client.lists[i].recipients for i in activation_list_ids(client.account.client_id))
    assert sum(len(lst.recipients) for lst in client.lists.values()) == sizes.recipients
    first = client.lists[population.list_ids[0]]
    assert first.attribute_names[:4] == ["email", "salutation", "firstname", "lastname"]
    stored = first.recipients[recipient(SEED, 0)["email"]].attributes
    assert stored == recipient(SEED, 0)
    assert population.blocklisted == len(client.blocklist) > 0
    assert population.unsubscribed == len(client.unsubscribes) > 0
    assert population.hard_bounced * sandbox_state.BOUNCE_THRESHOLD == len(client.bounces) > 0
    assert set(population.source_mailings.values()) == set(population.list_ids)
    with pytest.raises(ValueError, match="already has lists"):
        populate(client, SEED, "small")


def test_recipients_are_pure_and_carry_awkward_text():
    people = [recipient(SEED, i) for i in range(300)]
    assert people == generator_names.recipients(SEED, np.arange(300)).to_pylist()
    assert people != generator_names.recipients(SEED + 1, np.arange(300)).to_pylist()
    assert len({p["email"] for p in people}) == 300
    assert all(re.match(r"^[a-z0-9.]+@[a-z.]+$", p["email"]) for p in people)
    text = " ".join(" ".join(p.values()) for p in people)
    for awkward in ("Jürgen", "Müller", "Øster", '"Schmidt; Söhne" GmbH', "O'Connor"):
        assert awkward in text
    assert any(p["firstname"] == "" for p in people) and any(p["company"] == "" for p in people)


def test_total_rows_target_is_met(tmp_path):
    files = write_response_day(tmp_path, DAY, SEED, sizes_for_total_rows(200_000))
    total = sum(f.rows for f in files.values())
    assert abs(total - 200_000) < 200_000 * 0.02
    assert total == sum(len(p.read_bytes().splitlines()) - 1 for p in tmp_path.iterdir())


def _peaks(directory: Path, sends: int) -> tuple[int, int, int]:
    """(Python heap peak, Arrow pool peak, bytes written) while writing one day."""
    sizes = Sizes(recipients=2 * sends, lists=2, mailings_per_day=4, sends_per_day=sends)
    pool, previous = pa.proxy_memory_pool(pa.default_memory_pool()), pa.default_memory_pool()
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        files = write_response_day(directory, DAY, SEED, sizes, chunk_sends=5_000)
        python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    return python_peak, pool.max_memory(), sum(f.path.stat().st_size for f in files.values())


def test_memory_stays_flat_as_the_day_grows(tmp_path):
    small = _peaks(tmp_path / "small", 40_000)
    large = _peaks(tmp_path / "large", 160_000)
    assert large[2] > 3.5 * small[2] > 15_000_000  # four times the rows, tens of megabytes
    for small_peak, large_peak in zip(small[:2], large[:2]):
        assert large_peak < 8_000_000
        assert large_peak < 1.5 * small_peak + 500_000


def test_files_appear_complete_or_not_at_all(tmp_path, monkeypatch):
    real = generator_events.send_tables
    calls = []

    def failing_after_first_chunk(plan, chunk):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("disk full")
        return real(plan, chunk)

    monkeypatch.setattr("episerver_assets.sandbox.generator.response_files.send_tables", failing_after_first_chunk)
    with pytest.raises(RuntimeError, match="disk full"):
        write_response_day(tmp_path, DAY, SEED, "small", chunk_sends=50)
    assert list(tmp_path.iterdir()) == []


def test_expire_old_files_by_the_date_in_the_name(tmp_path):
    today = date(2024, 6, 30)
    names = {
        "20240530_clicks.csv": True,  # 31 days old
        "20240531_clicks.csv": False,  # 30 days old
        "20240629_opens.csv": False,
        "20240501103000_subscribers.csv.log": True,
        "notes.txt": False,
        "20241399_bad.csv": False,
    }
    for name in names:
        (tmp_path / name).write_text("x")
    removed = expire_old_files(tmp_path, today, days=30)
    assert sorted(p.name for p in removed) == sorted(n for n, old in names.items() if old)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, old in names.items() if not old)


def test_days_differ_and_ids_never_repeat_across_days(tmp_path):
    ids: dict[str, set[str]] = {"mailings": set(), "mailingrecipients": set(), "links": set()}
    for offset in range(3):
        day = DAY + timedelta(days=offset)
        write_response_day(tmp_path, day, SEED, "small")
        for table, seen in ids.items():
            with open(tmp_path / f"{day:%Y%m%d}_{table}.csv", encoding="utf-8", newline="") as handle:
                new = {row["id"] for row in csv.DictReader(handle, delimiter=";")}
            assert not new & seen
            seen |= new
