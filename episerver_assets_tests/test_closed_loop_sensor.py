"""The closed-loop response-file sensor against the sandbox's real SFTP server on loopback.

Files are written straight into the server's directory, as Campaign's export would deliver them;
the sensor sees them only through SFTP. `sftp_calls` counts the client's directory listings and file
reads (the SFTP work a tick does), so the tests say how much a tick reads, never how long it took.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from episerver_assets.campaign.sftp import CampaignSftpResource, RemoteFile, SftpSession, temporary_name
from episerver_assets.defs.closed_loop.assets import closed_loop_responses, response_files
from episerver_assets.defs.closed_loop.jobs import closed_loop_job
from episerver_assets.defs.closed_loop.remote_days import SensorCursor, group_by_day, run_key
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.defs.closed_loop.sensors import (
    CHECKSUM_TAG_PREFIX,
    HashBudget,
    closed_loop_response_files_sensor,
    evaluate_response_directory,
    partition_bounds,
)
from episerver_assets.sandbox.generator import write_response_day
from episerver_assets.sandbox.sftp_server import BackgroundSftpServer
from episerver_assets.warehouse import WarehouseResource

USER, PASSWORD = "loop", "sensor-secret"
FIRST_DAY, LAST_DAY = partition_bounds()
assert LAST_DAY is not None, "the tests need at least one open partition"
DAY = LAST_DAY - dt.timedelta(days=1)
T0 = 1_790_000_000  # an mtime well in the past of any test run, so later looks can move it forward


@pytest.fixture
def response_dir(tmp_path) -> Path:
    path = tmp_path / "sftp" / "response"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def sftp(tmp_path, response_dir):
    server = BackgroundSftpServer(response_dir.parent, users={USER: PASSWORD}, host_key_path=tmp_path / "host_key")
    server.start()
    known_hosts = server.write_known_hosts(tmp_path / "known_hosts")
    yield CampaignSftpResource(
        port=server.port,
        username=USER,
        password=PASSWORD,
        known_hosts_path=str(known_hosts),
        connect_timeout=5.0,
        operation_timeout=10.0,
        retry_base_delay=0.01,
        retry_max_delay=0.05,
    ), server
    server.stop()


@pytest.fixture
def client(sftp) -> CampaignSftpResource:
    return sftp[0]


@pytest.fixture
def sftp_calls(monkeypatch) -> Counter:
    """Counts SftpSession.list and SftpSession.sha256 calls; the real methods still run."""
    calls: Counter = Counter()
    for name in ("list", "sha256"):
        original = getattr(SftpSession, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(SftpSession, name, counted)
    return calls


class Ticks:
    """Runs the sensor tick after tick, carrying the cursor like the daemon does."""

    def __init__(self, client: CampaignSftpResource, warehouse_url: str) -> None:
        # The partitioned job's run requests are checked against the code location's definitions.
        self.resources = {"sftp": client, "warehouse": WarehouseResource(url=warehouse_url)}
        self.definitions = dg.Definitions(
            assets=[response_files, closed_loop_responses],
            jobs=[closed_loop_job],
            sensors=[closed_loop_response_files_sensor],
            resources=self.resources,
        )
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor: str | None = None

    def __call__(self) -> SensorExecutionData:
        with dg.build_sensor_context(
            cursor=self.cursor, resources=self.resources, definitions=self.definitions, instance=self.instance
        ) as context:
            data = closed_loop_response_files_sensor.evaluate_tick(context)
        self.cursor = data.cursor
        return data


@pytest.fixture
def tick(client, duckdb_url) -> Ticks:
    return Ticks(client, duckdb_url)


def write_file(path: Path, content: bytes, mtime: int = T0) -> None:
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))


def write_day(directory: Path, day: dt.date, mtime: int = T0, skip: str | None = None) -> None:
    """Eight small files (content is never parsed by the sensor), optionally leaving one table out."""
    for table in RESPONSE_TABLES.values():
        if table.name != skip:
            write_file(directory / table.file_name(day), f"{table.name} of {day}\n".encode(), mtime)


def checksum_tags(request: dg.RunRequest) -> dict[str, str]:
    return {k: v for k, v in request.tags.items() if k.startswith(CHECKSUM_TAG_PREFIX)}


def test_a_new_day_is_requested_once_two_looks_agree(tick, response_dir, sftp_calls):
    written = write_response_day(response_dir, DAY, seed=4, scale="small")

    first = tick()
    assert not first.run_requests
    assert DAY.isoformat() in first.skip_message and "next tick" in first.skip_message
    assert sftp_calls == {"list": 1}  # first look: the listing only, no file is read

    second = tick()
    [request] = second.run_requests
    assert request.partition_key == DAY.isoformat()
    assert request.run_key.startswith(DAY.isoformat())
    assert checksum_tags(request) == {
        CHECKSUM_TAG_PREFIX + file.path.name: hashlib.sha256(file.path.read_bytes()).hexdigest()
        for file in written.values()
    }
    assert sftp_calls == {"list": 2, "sha256": 8}

    third = tick()
    assert not third.run_requests and "already requested" in third.skip_message
    assert sftp_calls == {"list": 3, "sha256": 8}  # unchanged files are not read again


def _requested_day(tick, response_dir) -> dg.RunRequest:
    write_day(response_dir, DAY)
    tick()
    [request] = tick().run_requests
    return request


def test_the_same_bytes_delivered_again_give_the_same_run_key(tick, response_dir):
    before = _requested_day(tick, response_dir)
    clicks = response_dir / RESPONSE_TABLES["clicks"].file_name(DAY)
    write_file(clicks, clicks.read_bytes(), mtime=T0 + 3600)

    assert not tick().run_requests  # a changed listing waits for a second look
    again = tick().run_requests
    # Dagster skips a request whose run key it has seen: the unchanged file is not loaded twice.
    assert [r.run_key for r in again] == [before.run_key]
    assert not tick().run_requests


def test_a_corrected_file_is_requested_again_with_a_new_run_key(tick, response_dir):
    before = _requested_day(tick, response_dir)
    clicks = response_dir / RESPONSE_TABLES["clicks"].file_name(DAY)
    corrected = clicks.read_bytes().upper()  # same size: only the checksum can tell
    write_file(clicks, corrected, mtime=T0 + 3600)

    tick()
    [after] = tick().run_requests
    assert after.partition_key == before.partition_key
    assert after.run_key != before.run_key
    tag = CHECKSUM_TAG_PREFIX + clicks.name
    assert after.tags[tag] == hashlib.sha256(corrected).hexdigest() != before.tags[tag]
    unchanged = checksum_tags(before)
    del unchanged[tag]
    assert {k: v for k, v in checksum_tags(after).items() if k != tag} == unchanged


def test_an_incomplete_day_and_temporary_names_are_not_requested(tick, response_dir, sftp_calls):
    write_day(response_dir, DAY, skip="clicks")
    clicks = RESPONSE_TABLES["clicks"].file_name(DAY)
    write_file(response_dir / temporary_name(clicks), b"half a file")
    write_file(response_dir / f".{clicks}.tmp", b"the generator's temporary name")

    for _ in range(3):
        result = tick()
        assert not result.run_requests
        assert f"{DAY} (missing clicks)" in result.skip_message
    assert sftp_calls["sha256"] == 0

    os.replace(response_dir / temporary_name(clicks), response_dir / clicks)  # the upload's final rename
    assert not tick().run_requests
    assert [r.partition_key for r in tick().run_requests] == [DAY.isoformat()]


def test_a_file_still_growing_is_requested_only_once_its_size_holds(tick, response_dir):
    write_day(response_dir, DAY)
    opens = response_dir / RESPONSE_TABLES["opens"].file_name(DAY)
    assert not tick().run_requests
    for _ in range(2):
        with opens.open("ab") as growing:  # mtime kept: only the size tells the file is still written
            growing.write(b"more rows\n")
        os.utime(opens, (T0, T0))
        assert not tick().run_requests
    [request] = tick().run_requests
    assert request.tags[CHECKSUM_TAG_PREFIX + opens.name] == hashlib.sha256(opens.read_bytes()).hexdigest()


def test_days_without_a_partition_are_left_alone(tick, response_dir, sftp_calls):
    before_start, after_end = FIRST_DAY - dt.timedelta(days=1), LAST_DAY + dt.timedelta(days=1)
    write_day(response_dir, before_start)
    write_day(response_dir, after_end)
    for _ in range(2):
        result = tick()
        assert not result.run_requests
        assert "2 day(s) outside the partitions" in result.skip_message
    assert sftp_calls["sha256"] == 0
    assert json.loads(tick.cursor or "{}") == {}


def test_thousands_of_files_keep_the_cursor_small_and_a_tick_to_one_listing(tick, response_dir, sftp_calls):
    days = [LAST_DAY - dt.timedelta(days=n) for n in range(30)]
    for day in days:
        write_day(response_dir, day)
    for n in range(3000):  # other deliveries and leftovers the sensor must skip without reading
        write_file(response_dir / f"{n:06d}_unrelated_{n % 7}.log", b"x")

    assert not tick().run_requests
    requested = tick().run_requests
    assert sorted(r.partition_key for r in requested) == sorted(d.isoformat() for d in days)
    assert sftp_calls == {"list": 2, "sha256": 30 * 8}

    quiet = tick()
    assert not quiet.run_requests and "30 day(s) already requested" in quiet.skip_message
    assert sftp_calls == {"list": 3, "sha256": 30 * 8}
    assert len(tick.cursor) < 2048

    for table in RESPONSE_TABLES.values():  # the server expires the oldest day
        (response_dir / table.file_name(days[-1])).unlink()
    tick()
    assert days[-1].isoformat() not in tick.cursor and len(json.loads(tick.cursor)["requested"]) == 29


def test_hashing_stops_at_the_budget_and_resumes_without_reading_a_file_twice(client, response_dir, sftp_calls):
    write_day(response_dir, DAY)
    write_day(response_dir, LAST_DAY)
    budget_bytes = 3 * (response_dir / RESPONSE_TABLES["clicks"].file_name(DAY)).stat().st_size
    cursor, log, requested = None, dg.get_dagster_logger(), []
    for _ in range(10):
        result = evaluate_response_directory(cursor, client, HashBudget(max_bytes=budget_bytes), log)
        cursor = result.cursor
        requested += [r.partition_key for r in result.run_requests or ()]
        assert len(SensorCursor.from_json(cursor).checksums) < 8  # only the day being hashed
        if len(requested) == 2:
            break
    assert requested == [DAY.isoformat(), LAST_DAY.isoformat()]  # oldest day first
    assert sftp_calls["sha256"] == 16


def test_the_budget_predicts_a_file_from_the_pace_so_far():
    now = [100.0]
    budget = HashBudget(seconds=25.0, max_bytes=10**9, clock=lambda: now[0])
    assert budget.allows(5 * 10**9)  # the first file always goes, or a huge file would never be read
    budget.spend(100 * 10**6)
    now[0] += 10.0  # 10 MB/s so far
    assert budget.allows(100 * 10**6)  # 10 s more: ends at 20 s
    assert not budget.allows(200 * 10**6)  # 20 s more: would end at 30 s
    assert not budget.allows(950 * 10**6)  # beyond the byte budget in any case


def test_a_read_that_fails_leaves_the_day_pending(sftp, tick, response_dir):
    client, server = sftp
    write_day(response_dir, DAY)
    tick()
    server.faults.drop_reads_after(0, times=2)  # both attempts of the tick's session fail
    failed = tick()
    assert not failed.run_requests and DAY.isoformat() in failed.skip_message
    [request] = tick().run_requests
    assert request.partition_key == DAY.isoformat()


def _remote(name: str, size: int = 10, mtime: int = T0) -> RemoteFile:
    return RemoteFile(name, size, dt.datetime.fromtimestamp(mtime, dt.timezone.utc))


def test_grouping_prefers_the_gzip_file_like_the_run_and_ignores_other_names():
    listing = [
        _remote("20261101_clicks.csv"),
        _remote("20261101_clicks.csv.gz"),
        _remote(".20261101_opens.csv.part"),
        _remote("20261101_opens.csv.tmp"),
        _remote("20261131_opens.csv"),
        _remote("20261101151500_subscribers.csv"),
    ]
    days = group_by_day(listing)
    assert list(days) == [dt.date(2026, 11, 1)]
    assert {name: f.name for name, f in days[dt.date(2026, 11, 1)].files.items()} == {
        "clicks": "20261101_clicks.csv.gz"
    }


def test_fingerprint_follows_sizes_and_mtimes_and_run_key_follows_content_only():
    day = dt.date(2026, 11, 1)
    fingerprint = group_by_day([_remote("20261101_clicks.csv")])[day].fingerprint
    assert group_by_day([_remote("20261101_clicks.csv")])[day].fingerprint == fingerprint
    assert group_by_day([_remote("20261101_clicks.csv", size=11)])[day].fingerprint != fingerprint
    assert group_by_day([_remote("20261101_clicks.csv", mtime=T0 + 1)])[day].fingerprint != fingerprint
    assert run_key(day, {"b": "2", "a": "1"}) == run_key(day, {"a": "1", "b": "2"})
    assert run_key(day, {"a": "1"}) != run_key(day, {"a": "2"})
    assert run_key(day, {"a": "1"}) != run_key(day + dt.timedelta(days=1), {"a": "1"})


def test_sensor_definition():
    sensor = closed_loop_response_files_sensor
    assert sensor.name == "closed_loop_response_files_sensor"
    assert sensor.job_name == closed_loop_job.name
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.minimum_interval_seconds == 60
    assert "checksum" in sensor.description
    assert sensor.required_resource_keys == {"sftp"}
