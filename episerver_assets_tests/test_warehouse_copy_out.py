"""PostgreSQL's COPY ... TO STDOUT (CSV) read by pyarrow gives back every text and integer value exactly as
a cursor does: NULL and the empty string apart, quotes, delimiters, line breaks, backslashes, words a
CSV reader would take for NULL, digits that look like numbers, non-ASCII. The CRM selection reads so."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa

from episerver_assets.defs.crm.contacts import contacts
from episerver_assets.defs.crm_refresh import selection
from episerver_assets.defs.crm_refresh.config import RecipientListRefreshConfig
from episerver_assets.warehouse import WarehouseResource
from episerver_assets.warehouse.arrow_reads import literal_sql
from episerver_assets.warehouse.copy_out import copy_out

AWKWARD = ["\ufeffbom@example.com", None, "", " ", "  padded  ", "NA", "null", "NULL", "N/A", "nan", "#N/A",
           "00123", "1e5", "true", 'say "hi"', '"', '""', "a,b", "a;b", "line\nbreak", "cr\rlf\r\n", "\ttab",
           "back\\slash", "\\.", "\\N", "Zürich – ünïcødé 😀", "end\n", "x" * 5000]


def test_copy_out_returns_every_value_as_a_cursor_does(postgres_url):
    warehouse = WarehouseResource(url=postgres_url)
    with warehouse.begin() as connection:
        connection.execute(sa.text("CREATE TEMPORARY TABLE awkward (n BIGINT, value TEXT)"))
        connection.execute(sa.text("INSERT INTO awkward VALUES (:n, :value)"),
                           [{"n": None if i == 3 else i - 2 ** 40, "value": v} for i, v in enumerate(AWKWARD)])
        # The data starts with U+FEFF: the first value of the first row.
        sql = "SELECT value, n FROM awkward ORDER BY n NULLS LAST"
        expected = [tuple(row) for row in connection.execute(sa.text(sql)).all()]
        table = copy_out(connection.connection.driver_connection, sql, {"value": pa.large_string(), "n": pa.int64()})
    assert list(zip(table.column("value").to_pylist(), table.column("n").to_pylist())) == expected
    assert len(expected) == len(AWKWARD)


def test_copy_out_of_no_rows_is_an_empty_table_of_the_columns(postgres_url):
    with WarehouseResource(url=postgres_url).begin() as connection:
        table = copy_out(connection.connection.driver_connection, "SELECT 1::bigint AS n, 'x' AS value WHERE false",
                         {"n": pa.int64(), "value": pa.large_string()})
    assert table.num_rows == 0 and table.schema.names == ["n", "value"]


def test_the_crm_selection_reads_the_same_columns_through_copy_and_through_a_cursor(postgres_url):
    warehouse = WarehouseResource(url=postgres_url)
    warehouse.ensure_table(contacts)
    rows = [{c.name: None for c in contacts.columns} | {
        "entity_type": "contact", "entity_id": f"C{i}", "email": f"user{i}@example.com", "optin_id": 7,
        "first_name": value, "last_name": AWKWARD[-1 - i]} for i, value in enumerate(AWKWARD)]
    with warehouse.begin() as connection:
        connection.execute(contacts.delete())
        connection.execute(sa.insert(contacts), rows)
    query = selection._query(RecipientListRefreshConfig(recipient_list_id=1, optin_id=7))
    with warehouse.begin() as connection:
        copied = {name: values.to_pylist() for name, values in selection._read_columns(connection, query).items()}
        fetched = selection._fetched(connection.connection.driver_connection, literal_sql(connection, query))
    assert copied == fetched
    assert sorted(copied["first_name"], key=repr) == sorted(AWKWARD, key=repr)


def test_rows_that_do_not_read_as_the_columns_are_refused_without_their_values(postgres_url):
    with WarehouseResource(url=postgres_url).begin() as connection:
        with pytest.raises(ValueError, match="did not read as the columns n, value, extra") as refused:
            copy_out(connection.connection.driver_connection, "SELECT 1::bigint AS n, 'ann@example.com' AS value",
                     {"n": pa.int64(), "value": pa.large_string(), "extra": pa.large_string()})
    assert "ann@example.com" not in str(refused.value)
