"""The strict response-file format, case by case (the table in `closed_loop.reader`'s docstring):
every leniency of a CSV parser is either rejected with line, column and reason, or accepted with
values exactly as they stand in the file. Lines are counted from the test's own text."""

from __future__ import annotations

import gzip

import pytest

from episerver_assets.defs.closed_loop.reader import iter_response_batches, read_response_file
from episerver_assets.defs.closed_loop.reader.structure import FIELD_LIMIT, RECORD_LIMIT
from episerver_assets_tests.test_closed_loop_defects import (
    CLICKS_HEADER,
    click,
    csv_text,
    failure_of,
    line_of,
    only_failure,
    write,
)

GOOD = csv_text(CLICKS_HEADER, [click(0), click(1), click(2)])


def replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def rejected(tmp_path, data: str | bytes):
    return only_failure(failure_of(write(tmp_path, data)))


# --- quotes ---------------------------------------------------------------------------------------


def test_a_single_quote_inside_a_field_is_rejected_not_dropped(tmp_path):
    # Arrow alone read "Fire"fox" as Firefox and loaded it.
    text = replaced(GOOD, '"user1@example.com";"2021-01-01 12:07:55";"Firefox 64.1"',
                    '"user1@example.com";"2021-01-01 12:07:55";"Fire"fox"')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column, failure.value) == (3, "click.browser", 'Fire"fox"')
    assert 'double quote inside a field not written as ""' in failure.reason


def test_text_after_a_closing_quote_is_rejected(tmp_path):
    text = replaced(GOOD, '"user2@example.com"', '"user2@example.com" ')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column) == (4, "userId")
    assert "double quote inside a field" in failure.reason


def test_a_quote_inside_an_unquoted_field_is_rejected(tmp_path):
    text = replaced(GOOD, '"user1@example.com"', 'user1"x"@example.com')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column, failure.value) == (3, "userId", 'user1"x"@example.com')
    assert failure.reason == "field not enclosed in double quotes"


def test_doubled_quotes_and_quote_only_values_load_exactly(tmp_path):
    values = ['"', '""', 'a"', '"a', '";"', '"\n"']
    text = csv_text(CLICKS_HEADER, [click(i, **{"click.device": v}) for i, v in enumerate(values)])
    assert read_response_file(write(tmp_path, text)).data.column("click_device").to_pylist() == values


# --- unquoted fields --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [0, 4, 8], ids=["first", "middle", "last"])
def test_an_unquoted_field_is_rejected(tmp_path, field):
    rows = [click(0), click(1)]
    text = csv_text(CLICKS_HEADER, rows)
    quoted = '"' + rows[1][field] + '"'
    line = text.split("\n")[2]
    fields = line.split(";")
    fields[field] = rows[1][field]
    text = text.replace(line, ";".join(fields))
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column, failure.value) == (3, CLICKS_HEADER[field], rows[1][field])
    assert failure.reason == "field not enclosed in double quotes" and quoted not in text.split("\n")[2]


def test_an_unquoted_empty_field_is_rejected(tmp_path):
    text = replaced(GOOD, '"user0@example.com";"2021-01-01 12:07:55";"Firefox 64.1"',
                    '"user0@example.com";"2021-01-01 12:07:55";')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column) == (2, "click.browser")
    assert "empty field without double quotes" in failure.reason


def test_an_unquoted_header_of_exactly_the_expected_names_is_accepted(tmp_path):
    text = ";".join(CLICKS_HEADER) + "\n" + GOOD.split("\n", 1)[1]
    assert read_response_file(write(tmp_path, text)).data == read_response_file(write(tmp_path, GOOD)).data


def test_an_unquoted_header_that_differs_is_rejected(tmp_path):
    text = ";".join(CLICKS_HEADER[:-1]) + ";extra\n" + GOOD.split("\n", 1)[1]
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.value) == (1, CLICKS_HEADER[0])
    assert "header row: field not enclosed in double quotes" == failure.reason


# --- line ends, blank lines, the end of the file ----------------------------------------------------


def test_crlf_line_ends_are_rejected_on_the_header(tmp_path):
    failure = rejected(tmp_path, GOOD.replace("\n", "\r\n"))
    assert failure.line == 1 and "carriage return" in failure.reason


def test_a_crlf_line_end_in_a_record_is_rejected(tmp_path):
    text = replaced(GOOD, '"Desktop"\n"44018617937"', '"Desktop"\r\n"44018617937"')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column) == (2, "click.device")
    assert "carriage return: lines must end with a line feed (LF) alone" in failure.reason


def test_cr_line_ends_are_rejected(tmp_path):
    failure = rejected(tmp_path, GOOD.replace("\n", "\r"))
    assert failure.line == 1 and "carriage return" in failure.reason


def test_line_breaks_and_carriage_returns_inside_quotes_are_values(tmp_path):
    values = ["a\r\nb", "a\rb", "\n", "a\n\nb"]
    text = csv_text(CLICKS_HEADER, [click(i, **{"click.device": v}) for i, v in enumerate(values)])
    assert read_response_file(write(tmp_path, text)).data.column("click_device").to_pylist() == values


@pytest.mark.parametrize("where", ["middle", "end"])
def test_an_empty_line_is_rejected(tmp_path, where):
    lines = GOOD.split("\n")
    at = 2 if where == "middle" else len(lines) - 1
    text = "\n".join(lines[:at] + [""] + lines[at:])
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column, failure.reason) == (at + 1, "linkId", "empty line")


@pytest.mark.parametrize("trailer", ["x", " ", "\t\n", '"', "\x1a"])
def test_data_after_the_last_line_is_rejected(tmp_path, trailer):
    failure = rejected(tmp_path, GOOD + trailer)
    assert (failure.line, failure.column) == (5, "linkId")


def test_a_missing_final_line_feed_is_rejected(tmp_path):
    failure = rejected(tmp_path, GOOD.removesuffix("\n"))
    assert (failure.line, failure.column) == (4, "click.device")
    assert "does not end with a line feed" in failure.reason


def test_a_header_only_file_without_its_line_feed_is_rejected(tmp_path):
    failure = rejected(tmp_path, csv_text(CLICKS_HEADER, []).removesuffix("\n"))
    assert failure.line == 1 and "does not end with a line feed" in failure.reason


def test_a_cut_inside_a_doubled_quote_is_rejected(tmp_path):
    # Cut after the first quote of a doubled pair, the last field would read as a shorter value.
    text = csv_text(CLICKS_HEADER, [click(0, **{"click.device": 'Desk""top'})])
    failure = rejected(tmp_path, text[: text.index('""top') + 1])
    assert (failure.line, failure.column) == (2, "click.device")


# --- field counts -----------------------------------------------------------------------------------


def test_too_many_and_too_few_fields_are_rejected(tmp_path):
    text = replaced(GOOD, '"Desktop"\n"44018617937"', '"Desktop";"extra"\n"44018617937"')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.reason) == (2, "10 fields, expected 9")
    text = replaced(GOOD, ';"Windows 10";"Desktop"\n"44018617938"', '\n"44018617938"')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column, failure.reason) == (3, "click.browser", "7 fields, expected 9")


# --- bytes: NUL, control characters, UTF-8, BOM ---------------------------------------------------------


def test_a_nul_byte_is_rejected(tmp_path):
    text = replaced(GOOD, '"user0@example.com";"2021-01-01 12:07:55";"Firefox 64.1";"Windows 10"',
                    '"user0@example.com";"2021-01-01 12:07:55";"Firefox 64.1";"Win\x00dows 10"')
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column, failure.value) == (2, "click.platform", "Win\x00dows 10")
    assert "NUL" in failure.reason


def test_other_control_characters_and_a_bom_inside_values_are_kept(tmp_path):
    values = ["tab\there", "\x01\x1f\x7f", "zero\ufeffwidth", "\x0b\x0c"]
    text = csv_text(CLICKS_HEADER, [click(i, **{"click.device": v}) for i, v in enumerate(values)])
    assert read_response_file(write(tmp_path, text)).data.column("click_device").to_pylist() == values


def test_a_leading_bom_is_skipped_and_a_gzip_file_reads_the_same(tmp_path):
    plain = read_response_file(write(tmp_path, GOOD)).data
    assert read_response_file(write(tmp_path, "\ufeff" + GOOD)).data.equals(plain)
    compressed = write(tmp_path, gzip.compress(GOOD.encode()), "20210101_clicks.csv.gz")
    assert read_response_file(compressed).data.equals(plain)


def test_invalid_utf8_inside_a_multiline_value_is_rejected_at_its_record(tmp_path):
    text = csv_text(CLICKS_HEADER, [click(0, **{"click.browser": "a\nb"}), click(1, **{"click.device": "\udcff"})])
    data = text.encode("utf-8", "surrogateescape")
    failure = rejected(tmp_path, data)
    assert (failure.line, failure.column, failure.reason) == (4, "click.device", "not valid UTF-8")


# --- sizes -----------------------------------------------------------------------------------------------


def test_a_field_of_the_limit_loads_and_one_byte_more_is_rejected(tmp_path):
    longest = "x" * (FIELD_LIMIT - 2)  # the field takes the limit with its two quotes
    text = csv_text(CLICKS_HEADER, [click(0), click(1, **{"click.device": longest})])
    assert read_response_file(write(tmp_path, text)).data.column("click_device")[1].as_py() == longest
    text = csv_text(CLICKS_HEADER, [click(0), click(1, **{"click.device": longest + "x"})])
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column) == (3, "click.device")
    assert f"longer than {FIELD_LIMIT} bytes" in failure.reason


def test_a_record_over_the_limit_is_rejected(tmp_path):
    big = "y" * (FIELD_LIMIT - 2)  # nine fields of the field limit make a record over its limit
    text = csv_text(CLICKS_HEADER, [click(0), [big] * len(CLICKS_HEADER)])
    failure = rejected(tmp_path, text)
    assert failure.line == 3 and failure.reason == f"record longer than {RECORD_LIMIT} bytes"


def test_an_unclosed_quote_stops_the_read_at_the_field_limit(tmp_path):
    text = GOOD + '"44018617939";"' + "z" * (3 * FIELD_LIMIT) + "\n"
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column) == (5, "mailingId")


# --- every record's line, with failures spread over many blocks -------------------------------------------


def test_a_violation_deep_in_a_large_file_names_its_line(tmp_path):
    rows = [click(i, **{"click.browser": "multi\nline" if i % 5 == 0 else "Firefox"}) for i in range(60_000)]
    text = csv_text(CLICKS_HEADER, rows)
    marker = '"user55555@example.com"'
    text = replaced(text, marker, "user55555@example.com")
    failure = rejected(tmp_path, text)
    assert (failure.line, failure.column) == (line_of(text, "user55555@example.com"), "userId")
    batches = iter_response_batches(write(tmp_path, text), "clicks", batch_rows=5_000)
    rows_before_failure = 0
    with pytest.raises(Exception, match="not enclosed"):
        for batch in batches:
            rows_before_failure += batch.num_rows
    assert rows_before_failure <= 55_555
