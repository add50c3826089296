"""Defective and odd response files: valid oddities load with exact values, invalid files fail naming
file, line, column and reason.

Every CSV is written here from Python strings, so the expected line of a failure is counted from the
text itself, independently of the reader.
"""

from __future__ import annotations

import datetime as dt
import gzip
import threading

import pyarrow as pa
import pytest

from episerver_assets.defs.closed_loop.reader import (
    ResponseFileError,
    iter_response_batches,
    read_response_file,
)

CLICKS_HEADER = (
    "linkId", "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created",
    "click.browser", "click.platform", "click.device",
)
RECIPIENTS_HEADER = (
    "id", "mailingId", "mailingGroupId", "userId", "created", "sendingStatus", "deliveryStatus", "response.category",
)
CLICKS_FILE = "20210101_clicks.csv"
RECIPIENTS_FILE = "20210101_mailingrecipients.csv"


def click(n: int = 0, **changes: str) -> list[str]:
    values = {
        "linkId": str(44018617936 + n), "mailingId": "51106527229", "mailingToUserId": str(25951836752 + n),
        "mailingGroupId": "44018617811", "userId": f"user{n}@example.com", "created": "2021-01-01 12:07:55",
        "click.browser": "Firefox 64.1", "click.platform": "Windows 10", "click.device": "Desktop",
    }
    values.update({k.replace("_", "."): v for k, v in changes.items()})
    return [values[name] for name in CLICKS_HEADER]


def recipient(n: int = 0, **changes: str) -> list[str]:
    values = {
        "id": str(25951836752 + n), "mailingId": "51106527229", "mailingGroupId": "44018617811",
        "userId": f"user{n}@example.com", "created": "2021-01-01 12:07:55", "sendingStatus": "sent",
        "deliveryStatus": "OK", "response.category": "",
    }
    values.update(changes)
    return [values[name] for name in RECIPIENTS_HEADER]


def csv_text(header, rows, eol: str = "\n") -> str:
    quoted = lambda v: '"' + v.replace('"', '""') + '"'  # noqa: E731
    return "".join(";".join(quoted(v) for v in line) + eol for line in [header, *rows])


def write(tmp_path, text: str | bytes, name: str = CLICKS_FILE):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def failure_of(path, table=None) -> ResponseFileError:
    with pytest.raises(ResponseFileError) as caught:
        read_response_file(path, table)
    return caught.value


def only_failure(error: ResponseFileError):
    assert len(error.failures) == 1, error.failures
    return error.failures[0]


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing `marker`."""
    return text[: text.index(marker)].count("\n") + 1


# --- valid oddities -----------------------------------------------------------------------------


def test_a_plain_file_loads_with_warehouse_columns_and_types(tmp_path):
    result = read_response_file(write(tmp_path, csv_text(CLICKS_HEADER, [click(0), click(1)])))
    assert result.row_count == 2
    assert result.data.column_names[:3] == ["link_id", "mailing_id", "mailing_to_user_id"]
    row = result.data.to_pylist()[1]
    assert row["link_id"] == 44018617937 and row["user_id"] == "user1@example.com"
    assert row["created"] == dt.datetime(2021, 1, 1, 12, 7, 55)
    assert result.data.schema.field("created").type == pa.timestamp("us")
    assert row["click_browser"] == "Firefox 64.1"


def test_utf8_bom_loads(tmp_path):
    text = "\ufeff" + csv_text(CLICKS_HEADER, [click(0, userId="zoë@example.com")])
    result = read_response_file(write(tmp_path, text))
    assert result.data.column("user_id").to_pylist() == ["zoë@example.com"]


def test_quoted_semicolons_doubled_quotes_and_line_breaks_load_exactly(tmp_path):
    odd = ["a;b", 'he said "hi"', "two\nlines", 'mixed ";\n"', "", "trailing\n"]
    rows = [click(i, **{"click.browser": value}) for i, value in enumerate(odd)] + [click(9, created="bad")]
    text = csv_text(CLICKS_HEADER, rows[:-1])
    result = read_response_file(write(tmp_path, text))
    assert result.data.column("click_browser").to_pylist() == odd[:4] + [None] + odd[5:]
    assert result.data.column("link_id").to_pylist() == [44018617936 + i for i in range(6)]

    # A record after embedded line breaks is reported at its own physical line.
    text = csv_text(CLICKS_HEADER, rows)
    error = failure_of(write(tmp_path, text))
    assert only_failure(error).line == line_of(text, '"bad"') == 11  # 1 header + 6 records + 3 breaks + 1


def test_empty_fields_are_null_where_nullable(tmp_path):
    row = click(0, **{"click.browser": "", "click.platform": "", "click.device": ""})
    result = read_response_file(write(tmp_path, csv_text(CLICKS_HEADER, [row])))
    assert result.data.select(["click_browser", "click_platform", "click_device"]).to_pylist() == [
        {"click_browser": None, "click_platform": None, "click_device": None}
    ]
    recipients = write(tmp_path, csv_text(RECIPIENTS_HEADER, [recipient(0, deliveryStatus="")]), RECIPIENTS_FILE)
    data = read_response_file(recipients).data
    assert data.column("delivery_status").to_pylist() == [None]
    assert data.column("response_category").to_pylist() == [None]
    header = ("id", "compoundMasterId", "mailingGroupId", "mailing.recipientLists", "started", "finished")
    mailing = ["51106527229", "", "44018617811", "", "2021-01-01 12:07:55", ""]
    data = read_response_file(write(tmp_path, csv_text(header, [mailing]), "20210101_mailings.csv")).data
    assert data.to_pylist() == [{
        "id": 51106527229, "compound_master_id": None, "mailing_group_id": 44018617811,
        "mailing_recipient_lists": None, "started": dt.datetime(2021, 1, 1, 12, 7, 55), "finished": None,
    }]


def test_words_that_other_readers_treat_as_null_stay_text(tmp_path):
    browsers = ["NULL", "null", "NA", "N/A", "NaN", "nan", "None"]
    rows = [click(i, **{"click.browser": b}) for i, b in enumerate(browsers)]
    result = read_response_file(write(tmp_path, csv_text(CLICKS_HEADER, rows)))
    assert result.data.column("click_browser").to_pylist() == browsers


def test_a_header_only_file_is_valid_with_zero_rows(tmp_path):
    text = csv_text(CLICKS_HEADER, [])
    result = read_response_file(write(tmp_path, text))
    assert result.row_count == 0
    assert result.data.schema.names == list(result.table.column_names)
    assert result.data.schema.field("link_id").type == pa.int64()


def test_gzip_files_are_read_as_a_stream(tmp_path):
    text = csv_text(CLICKS_HEADER, [click(i) for i in range(3)] + [click(3, mailingId="x1")])
    path = tmp_path / "20210101_clicks.csv.gz"
    path.write_bytes(gzip.compress(csv_text(CLICKS_HEADER, [click(i) for i in range(3)]).encode()))
    assert read_response_file(path).data.column("link_id").to_pylist() == [44018617936, 44018617937, 44018617938]
    path.write_bytes(gzip.compress(text.encode()))
    failure = only_failure(failure_of(path))
    assert (failure.file, failure.line, failure.column, failure.value) == (path.name, 5, "mailingId", "x1")


def test_batches_stream_with_correct_lines_across_blocks(tmp_path):
    # About 5 MB, so Arrow parses several blocks; line breaks inside values shift the line numbers.
    rows = [click(i, **{"click.browser": "multi\nline" if i % 7 == 0 else "Firefox"}) for i in range(40_000)]
    rows[-3] = click(39_997, created="2021-02-30 00:00:00")
    text = csv_text(CLICKS_HEADER, rows)
    path = write(tmp_path, text)
    failure = only_failure(failure_of(path))
    assert failure.line == line_of(text, "2021-02-30")
    assert (failure.column, failure.value) == ("created", "2021-02-30 00:00:00")

    rows[-3] = click(39_997)
    path = write(tmp_path, csv_text(CLICKS_HEADER, rows))
    batches = list(iter_response_batches(path, "clicks", batch_rows=7_000))
    assert [b.num_rows for b in batches] == [7_000] * 5 + [5_000]
    assert pa.Table.from_batches(batches).column("link_id").to_pylist() == [44018617936 + i for i in range(40_000)]


# --- invalid files ------------------------------------------------------------------------------


def test_an_empty_required_field_is_invalid(tmp_path):
    text = csv_text(CLICKS_HEADER, [click(0), click(1, userId="")])
    error = failure_of(write(tmp_path, text))
    failure = only_failure(error)
    assert (failure.file, failure.line, failure.column) == (CLICKS_FILE, 3, "userId")
    assert "empty" in failure.reason and "required" in failure.reason
    assert f"{CLICKS_FILE} is invalid" in str(error) and "line 3, column userId" in str(error)


@pytest.mark.parametrize(
    ("header", "column", "reason"),
    [
        (CLICKS_HEADER[:-1], "click.device", "missing column"),
        (CLICKS_HEADER + ("click.referrer",), "click.referrer", "unexpected column"),
        (CLICKS_HEADER[:6] + ("click_browser",) + CLICKS_HEADER[7:], "click.browser", "header column 7"),
    ],
    ids=["missing", "extra", "renamed"],
)
def test_a_missing_extra_or_renamed_column_is_invalid(tmp_path, header, column, reason):
    error = failure_of(write(tmp_path, csv_text(header, [click(0)[: len(header)]])))
    assert error.failures[0].line == 1 and error.failures[0].column == column
    assert reason in error.failures[0].reason
    assert error.expected_header == CLICKS_HEADER and error.found_header == header
    assert "expected header: linkId;mailingId;" in str(error) and f"found header:    {';'.join(header)}" in str(error)


@pytest.mark.parametrize(
    "value", ["2021-13-01 12:07:55", "2021-02-30 12:07:55", "01.01.2021 12:07", "2021-01-01", "2021-01-01T12:07:55"]
)
def test_a_bad_date_is_invalid(tmp_path, value):
    failure = only_failure(failure_of(write(tmp_path, csv_text(CLICKS_HEADER, [click(0), click(1, created=value)]))))
    assert (failure.line, failure.column, failure.value) == (3, "created", value)
    assert "YYYY-MM-DD HH:MM:SS" in failure.reason


@pytest.mark.parametrize("value", ["abc", "12x", "-5", "0x1F", "1.5", " 12", "99999999999999999999"])
def test_a_non_numeric_id_is_invalid(tmp_path, value):
    failure = only_failure(failure_of(write(tmp_path, csv_text(CLICKS_HEADER, [click(0), click(1, linkId=value)]))))
    assert (failure.line, failure.column, failure.value) == (3, "linkId", value)
    assert "integer" in failure.reason


def test_a_bad_enum_value_is_invalid(tmp_path):
    rows = [recipient(0), recipient(1, sendingStatus="delivered"), recipient(2, deliveryStatus="ok")]
    error = failure_of(write(tmp_path, csv_text(RECIPIENTS_HEADER, rows), RECIPIENTS_FILE))
    assert [(f.line, f.column, f.value) for f in error.failures] == [
        (3, "sendingStatus", "delivered"), (4, "deliveryStatus", "ok"),
    ]
    assert error.failures[0].reason == "not one of sending, sent, could_not_be_sent"


def test_several_failures_are_listed_first_rows_first_as_records(tmp_path):
    rows = [click(0, mailingId="x"), click(1, created="never"), click(2, userId="")]
    error = failure_of(write(tmp_path, csv_text(CLICKS_HEADER, rows)))
    assert [(f.line, f.column) for f in error.failures] == [(2, "mailingId"), (3, "created"), (4, "userId")]
    assert error.records()[0] == {
        "file": CLICKS_FILE, "line": 2, "column": "mailingId", "reason": error.failures[0].reason, "value": "x",
    }
    assert error.markdown().splitlines()[0] == "| line | column | reason | value |"
    assert isinstance(error, ValueError)


def test_long_bad_values_are_truncated(tmp_path):
    failure = only_failure(failure_of(write(tmp_path, csv_text(CLICKS_HEADER, [click(0, created="9" * 500)]))))
    assert len(failure.value) <= 80 and failure.value.endswith("…")


def test_a_truncated_last_line_with_an_unterminated_quote_is_invalid(tmp_path):
    full = csv_text(CLICKS_HEADER, [click(0), click(1, **{"click.device": "Desktop computer"})])
    for cut in ('Desktop comp', 'Desktop computer', 'Desktop computer\n'):
        text = full[: full.rindex("Desktop computer")] + cut
        failure = only_failure(failure_of(write(tmp_path, text)))
        assert (failure.line, failure.column) == (3, "click.device")
        assert "ends inside a quoted field" in failure.reason


def test_a_truncated_last_line_with_fewer_fields_is_invalid(tmp_path):
    full = csv_text(CLICKS_HEADER, [click(0), click(1, **{"click.browser": "a\nb"}), click(2)])
    text = full[: full.index('"user2@example.com"')]
    failure = only_failure(failure_of(write(tmp_path, text)))
    assert (failure.line, failure.column) == (5, "userId")
    assert "ends after 4 of 9 fields" in failure.reason


def test_a_record_with_extra_fields_is_invalid(tmp_path):
    text = csv_text(CLICKS_HEADER, [click(0)]) + csv_text(CLICKS_HEADER, [click(1) + ["surplus"]]).split("\n", 1)[1]
    failure = only_failure(failure_of(write(tmp_path, text)))
    assert failure.line == 3 and "10 fields, expected 9" in failure.reason


def test_non_utf8_bytes_are_invalid_with_line_and_column(tmp_path):
    text = csv_text(CLICKS_HEADER, [click(0), click(1, userId="zoé@example.com")])
    failure = only_failure(failure_of(write(tmp_path, text.encode("latin-1"))))
    assert (failure.line, failure.column, failure.reason) == (3, "userId", "not valid UTF-8")
    assert failure.value == "zo\\xe9@example.com"


def test_a_non_utf8_header_is_invalid_on_line_1(tmp_path):
    text = csv_text(("linkId", "mailingId", "Empfänger") , [])
    failure = only_failure(failure_of(write(tmp_path, text.encode("latin-1")), "clicks"))
    assert failure.line == 1 and "UTF-8" in failure.reason


def test_an_empty_file_or_a_blank_line_is_invalid(tmp_path):
    failure = only_failure(failure_of(write(tmp_path, b"")))
    assert "empty" in failure.reason and "header" in failure.reason
    text = csv_text(CLICKS_HEADER, [click(0)]) + "\n" + csv_text(CLICKS_HEADER, [click(1)]).split("\n", 1)[1]
    failure = only_failure(failure_of(write(tmp_path, text)))
    assert failure.line == 3 and "empty line" in failure.reason


def test_an_unknown_file_name_needs_the_table(tmp_path):
    path = write(tmp_path, csv_text(CLICKS_HEADER, [click(0)]), "clicks-export.csv")
    with pytest.raises(ValueError, match="pass the table"):
        read_response_file(path)
    assert read_response_file(path, "clicks").row_count == 1


def test_an_empty_required_enum_is_reported_as_empty(tmp_path):
    rows = [recipient(0, sendingStatus="")]
    failure = only_failure(failure_of(write(tmp_path, csv_text(RECIPIENTS_HEADER, rows), RECIPIENTS_FILE)))
    assert (failure.line, failure.column, failure.reason) == (2, "sendingStatus", "empty value in a required column")


def test_a_gz_name_with_plain_or_truncated_content_is_invalid(tmp_path):
    text = csv_text(CLICKS_HEADER, [click(i) for i in range(20_000)])
    path = write(tmp_path, text, "20210101_clicks.csv.gz")
    assert "cannot be read" in only_failure(failure_of(path)).reason
    compressed = gzip.compress(text.encode())
    path.write_bytes(compressed[: len(compressed) // 2])
    error = failure_of(path)
    assert error.file == path.name and "runcated" in str(error)


def test_stopping_early_or_failing_ends_the_read_ahead_thread(tmp_path):
    def read_ahead_threads():
        return [t for t in threading.enumerate() if t.name == "response-file-read-ahead"]

    rows = [click(i) for i in range(40_000)]
    path = write(tmp_path, csv_text(CLICKS_HEADER, rows))
    batches = iter_response_batches(path, "clicks", batch_rows=1_000)
    assert next(batches).num_rows == 1_000
    assert read_ahead_threads()
    batches.close()
    assert not read_ahead_threads()

    rows[20_000] = click(20_000, created="soon")
    path = write(tmp_path, csv_text(CLICKS_HEADER, rows))
    batches = iter_response_batches(path, "clicks", batch_rows=1_000)
    with pytest.raises(ResponseFileError, match="line 20002, column created"):
        for _ in batches:
            pass
    assert not read_ahead_threads()
