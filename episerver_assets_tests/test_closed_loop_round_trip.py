"""Awkward values through the product's load path into DuckDB and PostgreSQL: every value read back
equals, byte for byte, the text between its quotes in the file (quotes undoubled); "" is NULL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from episerver_assets.campaign.sftp import RemoteFile
from episerver_assets.defs.closed_loop.ledger import loaded_files
from episerver_assets.defs.closed_loop.loading import load_response_file
from episerver_assets.defs.closed_loop.schemas import response_table
from episerver_assets.defs.closed_loop.spool import DownloadSpool
from episerver_assets.defs.closed_loop.warehouse_tables import warehouse_table
from episerver_assets_tests.test_closed_loop_defects import CLICKS_HEADER, click, csv_text

DAY = dt.date(2021, 1, 1)
AWKWARD = [
    'he said "hi"', '"', '""', "a;b", ";", "two\nlines", "crlf\r\ninside", "\n", "Müller Øster ß", "😀 emoji 𝄞",
    "tab\there", "\t", "trailing spaces  ", "  leading", " ", "007", "0", "NULL", "NA", "null", "None", "nan",
    "\\N", "back\\slash\\n", "\\", "\x01\x1f\x7f", "\ufeffbom inside", "e\u0301 combining", "x" * 10_000,
    "'single'", "<b>&amp;</b>", "=1+1", "%s %% {}",
]
TEXT_COLUMNS = ("user_id", "click_browser", "click_platform", "click_device")


def awkward_rows() -> list[list[str]]:
    rows = []
    for i, value in enumerate(AWKWARD):
        rows.append(click(i, userId=value, **{"click.browser": value, "click.platform": "", "click.device": value}))
    return rows


def load(warehouse, tmp_path, data: bytes):
    table = response_table("clicks")
    warehouse.ensure_table(warehouse_table(table), loaded_files)
    name = f"{DAY:%Y%m%d}_clicks.csv"
    spool = DownloadSpool(RemoteFile(name, len(data), dt.datetime(2021, 1, 2, 3, 4, 5)), tmp_path)
    try:
        spool.write(data)
        spool.finish()
        return load_response_file(warehouse, table, DAY, spool)
    finally:
        spool.close()


def test_awkward_values_reach_both_engines_byte_for_byte(warehouse, tmp_path):
    rows = awkward_rows()
    data = csv_text(CLICKS_HEADER, rows).encode("utf-8")
    loaded = load(warehouse, tmp_path, data)
    assert loaded.rows == len(AWKWARD)

    target = warehouse_table(response_table("clicks"))
    query = sa.select(target.c.link_id, *(target.c[name] for name in TEXT_COLUMNS)).order_by(target.c.link_id)
    with warehouse.begin() as connection:
        stored = [tuple(row) for row in connection.execute(query)]
    expected_values = [(int(r[0]), r[4], r[6], r[7], r[8]) for r in rows]
    for got, want in zip(stored, expected_values, strict=True):
        assert got[0] == want[0]
        for got_value, wire in zip(got[1:], want[1:], strict=True):
            if wire == "":
                assert got_value is None
            else:
                assert isinstance(got_value, str) and got_value.encode("utf-8") == wire.encode("utf-8"), (got, want)
    # The file's bytes themselves: each value stands in it quoted with doubled quotes.
    for value in AWKWARD:
        assert b'"' + value.encode().replace(b'"', b'""') + b'"' in data
