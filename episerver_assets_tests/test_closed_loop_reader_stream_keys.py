"""The reader's whole-file key check (a repeated primary key names the key and both lines) and its
stream input (bytes read once from a caller's stream; the path opened only on the failure path)."""

from __future__ import annotations

import gzip
import io
import threading

import pyarrow as pa
import pytest

from episerver_assets.defs.closed_loop.reader import ResponseFileError, iter_response_batches, read_response_file
from episerver_assets_tests.test_closed_loop_defects import (
    CLICKS_HEADER,
    RECIPIENTS_FILE,
    RECIPIENTS_HEADER,
    click,
    csv_text,
    failure_of,
    line_of,
    recipient,
    write,
)

MAILINGS_HEADER = ("id", "compoundMasterId", "mailingGroupId", "mailing.recipientLists", "started", "finished")
LINKS_HEADER = ("id", "mailingId", "mailingToUserId", "mailingGroupId", "name", "url")


def mailing(n: int) -> list[str]:
    return [str(51106527229 + n), "", "44018617811", "", "2021-01-01 12:07:55", ""]


def link(n: int) -> list[str]:
    return [str(44018617936 + n), "51106527229", "25951836752", "44018617811", "Impressum", "http://example.com"]


# --- duplicate primary keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header", "row"),
    [("20210101_mailings.csv", MAILINGS_HEADER, mailing), (RECIPIENTS_FILE, RECIPIENTS_HEADER, recipient),
     ("20210101_links.csv", LINKS_HEADER, link)],
    ids=["mailings", "mailingrecipients", "links"],
)
def test_a_repeated_primary_key_names_the_key_and_both_lines(tmp_path, name, header, row):
    rows = [row(i) for i in range(6)]
    rows[4] = [rows[1][0], *row(4)[1:]]
    text = csv_text(header, rows)
    error = failure_of(write(tmp_path, text, name))
    assert [(f.line, f.column, f.value) for f in error.failures] == [(6, "id", rows[1][0])]
    assert error.failures[0].reason == f"duplicate primary key id {rows[1][0]}: first on line 3"


def test_repeated_keys_across_batches_and_multiline_records_are_listed_in_file_order(tmp_path):
    rows = [recipient(i, userId=f"a\nb{i}@example.com" if i % 3 == 0 else f"u{i}@example.com") for i in range(3_000)]
    rows[2_500] = recipient(7, userId="x@example.com")
    rows[1_200] = recipient(2_999, userId="y@example.com")
    text = csv_text(RECIPIENTS_HEADER, rows)
    path = write(tmp_path, text, RECIPIENTS_FILE)
    yielded = 0
    with pytest.raises(ResponseFileError) as caught:
        for batch in iter_response_batches(path, batch_rows=500):
            yielded += batch.num_rows
    assert yielded == 3_000  # every batch was valid; the key check ends the iteration with the error
    first_7, repeat_7 = line_of(text, '"25951836759"'), line_of(text, "x@example.com")
    first_2999, repeat_2999 = line_of(text, "y@example.com"), line_of(text, "u2999@example.com")
    assert [(f.line, f.reason) for f in caught.value.failures] == [
        (repeat_7, f"duplicate primary key id 25951836759: first on line {first_7}"),
        (repeat_2999, f"duplicate primary key id 25951839751: first on line {first_2999}"),
    ]


def test_tables_without_a_primary_key_accept_repeated_rows(tmp_path):
    assert read_response_file(write(tmp_path, csv_text(CLICKS_HEADER, [click(0), click(0)]))).row_count == 2


# --- stream input -------------------------------------------------------------------------------------


class TrickleStream:
    """A download in progress: hands out at most `chunk` bytes per read and counts what it gave."""

    def __init__(self, data: bytes, chunk: int = 7):
        self._data, self._chunk = io.BytesIO(data), chunk
        self.reads = 0
        self.exhausted = threading.Event()

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        data = self._data.read(self._chunk if size < 0 else min(size, self._chunk))
        if not data:
            self.exhausted.set()
        return data


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_stream_gives_the_same_batches_without_opening_the_path(tmp_path, compressed):
    rows = [click(i, **{"click.browser": 'multi\n"line"' if i % 9 == 0 else "Firefox"}) for i in range(3_000)]
    data = csv_text(CLICKS_HEADER, rows).encode()
    name = "20210101_clicks.csv.gz" if compressed else "20210101_clicks.csv"
    data = gzip.compress(data) if compressed else data
    expected = pa.Table.from_batches(list(iter_response_batches(write(tmp_path, data, name), batch_rows=700)))
    not_there = tmp_path / "not-downloaded-yet" / name
    stream = TrickleStream(b"\xef\xbb\xbf" + data if not compressed else data, chunk=997)
    batches = list(iter_response_batches(not_there, batch_rows=700, stream=stream))
    assert [b.num_rows for b in batches] == [700] * 4 + [200]
    assert pa.Table.from_batches(batches).equals(expected)
    assert stream.exhausted.is_set() and not not_there.exists()


def test_a_stream_of_one_byte_reads_the_header_and_records_exactly(tmp_path):
    data = csv_text(CLICKS_HEADER, [click(0, **{"click.device": 'a"b;c'}), click(1)]).encode()
    batches = list(iter_response_batches(tmp_path / "absent_clicks.csv", "clicks", stream=TrickleStream(data, 1)))
    assert pa.Table.from_batches(batches).column("click_device").to_pylist() == ['a"b;c', "Desktop"]


def test_a_failing_stream_is_read_to_its_end_before_the_path_gives_the_line(tmp_path):
    rows = [click(i) for i in range(5_000)]
    rows[4_000] = click(4_000, created="later")
    data = csv_text(CLICKS_HEADER, rows).encode()
    path = write(tmp_path, data)  # complete once the stream has ended
    stream = TrickleStream(data, chunk=4_096)
    with pytest.raises(ResponseFileError) as caught:
        list(iter_response_batches(path, stream=stream))
    assert stream.exhausted.is_set()
    failure = caught.value.failures[0]
    assert (failure.line, failure.column, failure.value) == (4_002, "created", "later")
