"""The closed-loop response-file sensor against the sandbox's real SFTP server on loopback.

Files are written straight into the server's directory, as Campaign's export would deliver them;
the sensor sees them only through SFTP. `served` counts, on the server, the files opened and the
bytes read; `listings` counts the client's directory listings. So the tests say how much SFTP work a
tick does, never how long it took.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path

import dagster as dg
import paramiko
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from episerver_assets.campaign.sftp import CampaignSftpResource, RemoteFile, SftpSession, temporary_name
from episerver_assets.defs.closed_loop.assets import closed_loop_responses, response_files
from episerver_assets.defs.closed_loop.jobs import closed_loop_job
from episerver_assets.defs.closed_loop.remote_days import group_by_day
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.defs.closed_loop.sensors import closed_loop_response_files_sensor, partition_bounds
from episerver_assets.sandbox import sftp_server
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
def served(monkeypatch) -> Counter:
    """Files opened and bytes read on the sandbox server (it runs on a thread of this process)."""
    counts: Counter = Counter()
    server_class = sftp_server._ChrootedSftp
    open_file, read = server_class.open, server_class.read

    def counted_open(self, *args, **kwargs):
        counts["opened"] += 1
        return open_file(self, *args, **kwargs)

    def counted_read(self, *args, **kwargs):
        data = read(self, *args, **kwargs)
        counts["bytes"] += len(data)
        return data

    monkeypatch.setattr(server_class, "open", counted_open)
    monkeypatch.setattr(server_class, "read", counted_read)
    return counts


@pytest.fixture
def client(tmp_path, response_dir, served):
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
    )
    server.stop()


@pytest.fixture
def listings(monkeypatch) -> Counter:
    """Counts SftpSession.list calls; the real method still runs."""
    calls: Counter = Counter()
    original = SftpSession.list

    def counted(self, *args, **kwargs):
        calls["list"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SftpSession, "list", counted)
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
    """Eight small files (the sensor never reads them), optionally leaving one table out."""
    for table in RESPONSE_TABLES.values():
        if table.name != skip:
            write_file(directory / table.file_name(day), f"{table.name} of {day}\n".encode(), mtime)


def test_a_new_day_is_requested_once_two_looks_agree(tick, response_dir, listings, served):
    write_response_day(response_dir, DAY, seed=4, scale="small")

    first = tick()
    assert not first.run_requests
    assert DAY.isoformat() in first.skip_message and "next tick" in first.skip_message

    second = tick()
    [request] = second.run_requests
    assert request.partition_key == DAY.isoformat()
    assert request.run_key.startswith(DAY.isoformat())
    assert not any(tag.startswith("closed_loop.sha256/") for tag in request.tags)

    third = tick()
    assert not third.run_requests and "already requested" in third.skip_message
    assert listings == {"list": 3}  # one listing per tick and nothing else
    assert served == {}  # no file was opened, not a byte read: the run transfers each file once


def test_the_server_side_count_sees_a_download(client, response_dir, served, tmp_path):
    """The counter the sensor tests rely on does count what a client reads."""
    written = write_response_day(response_dir, DAY, seed=4, scale="small")
    clicks = written["clicks"].path
    client.download(f"response/{clicks.name}", tmp_path / clicks.name)
    assert served == {"opened": 1, "bytes": clicks.stat().st_size}


def test_a_tick_never_opens_a_file_even_when_the_client_could(tick, response_dir, monkeypatch, served):
    write_response_day(response_dir, DAY, seed=5, scale="small")

    def forbidden(*args, **kwargs):
        raise AssertionError("the sensor opened a remote file")

    for name in ("sha256", "download", "stat"):
        monkeypatch.setattr(SftpSession, name, forbidden, raising=False)
    monkeypatch.setattr(paramiko.SFTPClient, "open", forbidden)
    tick()
    [request] = tick().run_requests
    assert request.partition_key == DAY.isoformat()
    assert served["opened"] == 0 and served["bytes"] == 0


def _requested_day(tick, response_dir) -> dg.RunRequest:
    write_day(response_dir, DAY)
    tick()
    [request] = tick().run_requests
    return request


def test_an_unchanged_day_is_not_requested_again_even_with_a_lost_cursor(tick, response_dir):
    before = _requested_day(tick, response_dir)
    for _ in range(2):
        result = tick()
        assert not result.run_requests and "1 day(s) already requested and unchanged" in result.skip_message

    tick.cursor = None  # the sensor reset: Dagster then skips the request by its run key
    tick()
    [again] = tick().run_requests
    assert again.run_key == before.run_key


def test_a_redelivered_file_gets_a_new_run_key_after_two_looks(tick, response_dir, served):
    before = _requested_day(tick, response_dir)
    clicks = response_dir / RESPONSE_TABLES["clicks"].file_name(DAY)
    write_file(clicks, clicks.read_bytes(), mtime=T0 + 3600)  # the same bytes, delivered again

    assert not tick().run_requests  # a changed listing waits for a second look
    [again] = tick().run_requests
    # The sensor cannot tell identical bytes without reading them; the run hashes while downloading
    # and records the table as unchanged, so the run costs one transfer and loads nothing.
    assert again.partition_key == before.partition_key and again.run_key != before.run_key
    assert not tick().run_requests
    assert served["bytes"] == 0


def test_a_corrected_file_of_the_same_size_is_requested_again(tick, response_dir):
    before = _requested_day(tick, response_dir)
    clicks = response_dir / RESPONSE_TABLES["clicks"].file_name(DAY)
    write_file(clicks, clicks.read_bytes().upper(), mtime=T0 + 60)  # same size, new mtime

    tick()
    [after] = tick().run_requests
    assert after.partition_key == before.partition_key
    assert after.run_key.startswith(DAY.isoformat()) and after.run_key != before.run_key


def test_an_incomplete_day_and_temporary_names_are_not_requested(tick, response_dir, served):
    write_day(response_dir, DAY, skip="clicks")
    clicks = RESPONSE_TABLES["clicks"].file_name(DAY)
    write_file(response_dir / temporary_name(clicks), b"half a file")
    write_file(response_dir / f".{clicks}.tmp", b"the generator's temporary name")

    for _ in range(3):
        result = tick()
        assert not result.run_requests
        assert f"{DAY} (missing clicks)" in result.skip_message

    os.replace(response_dir / temporary_name(clicks), response_dir / clicks)  # the upload's final rename
    assert not tick().run_requests
    assert [r.partition_key for r in tick().run_requests] == [DAY.isoformat()]
    assert served["opened"] == 0


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
    assert request.partition_key == DAY.isoformat()


def test_days_without_a_partition_are_left_alone(tick, response_dir):
    before_start, after_end = FIRST_DAY - dt.timedelta(days=1), LAST_DAY + dt.timedelta(days=1)
    write_day(response_dir, before_start)
    write_day(response_dir, after_end)
    for _ in range(2):
        result = tick()
        assert not result.run_requests
        assert "2 day(s) outside the partitions" in result.skip_message
    assert json.loads(tick.cursor or "{}") == {}


def test_thousands_of_files_keep_the_cursor_small_and_a_tick_to_one_listing(tick, response_dir, listings, served):
    days = [LAST_DAY - dt.timedelta(days=n) for n in range(30)]
    for day in days:
        write_day(response_dir, day)
    for n in range(3000):  # other deliveries and leftovers the sensor must skip without reading
        write_file(response_dir / f"{n:06d}_unrelated_{n % 7}.log", b"x")

    assert not tick().run_requests
    requested = tick().run_requests
    assert sorted(r.partition_key for r in requested) == sorted(d.isoformat() for d in days)
    assert len({r.run_key for r in requested}) == 30

    quiet = tick()
    assert not quiet.run_requests and "30 day(s) already requested" in quiet.skip_message
    assert listings == {"list": 3} and served == {}
    assert len(tick.cursor) < 2048

    for table in RESPONSE_TABLES.values():  # the server expires the oldest day
        (response_dir / table.file_name(days[-1])).unlink()
    tick()
    assert days[-1].isoformat() not in tick.cursor and len(json.loads(tick.cursor)["requested"]) == 29


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


def test_run_key_is_the_day_and_a_hash_of_names_sizes_and_mtimes():
    day = dt.date(2026, 11, 1)

    def key(*listing: RemoteFile) -> str:
        return group_by_day(listing)[day].run_key

    base = key(_remote("20261101_clicks.csv"), _remote("20261101_opens.csv"))
    assert base.startswith("2026-11-01:")
    assert key(_remote("20261101_opens.csv"), _remote("20261101_clicks.csv")) == base  # order of the listing
    assert key(_remote("20261101_clicks.csv", size=11), _remote("20261101_opens.csv")) != base
    assert key(_remote("20261101_clicks.csv", mtime=T0 + 1), _remote("20261101_opens.csv")) != base
    assert key(_remote("20261101_clicks.csv")) != base
    assert group_by_day([_remote("20261102_clicks.csv")])[day + dt.timedelta(days=1)].run_key != base


def test_sensor_definition():
    sensor = closed_loop_response_files_sensor
    assert sensor.name == "closed_loop_response_files_sensor"
    assert sensor.job_name == closed_loop_job.name
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.minimum_interval_seconds == 60
    assert "never reads a file" in sensor.description
    assert sensor.required_resource_keys == {"sftp"}
