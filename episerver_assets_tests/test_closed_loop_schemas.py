"""The closed-loop response-file schemas against seed 004, and what derives from them.

The expected headers, enums and keys are copied from the seed here, not imported, so a change to the
models that drifts from the seed fails.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pandera.errors
import pyarrow as pa
import pytest
import sqlalchemy as sa

from episerver_assets.defs.closed_loop.reader import read_response_file
from episerver_assets.defs.closed_loop.schemas import (
    RESPONSE_TABLES,
    ForeignKey,
    dagster_table_schema,
    duplicate_keys,
    parse_file_name,
    response_table,
    sqlalchemy_columns,
    warehouse_column,
)

SEED_HEADERS = {
    "mailings": ("id", "compoundMasterId", "mailingGroupId", "mailing.recipientLists", "started", "finished"),
    "mailing_recipients": (
        "id", "mailingId", "mailingGroupId", "userId", "created", "sendingStatus", "deliveryStatus",
        "response.category",
    ),
    "links": ("id", "mailingId", "mailingToUserId", "mailingGroupId", "name", "url"),
    "clicks": (
        "linkId", "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created",
        "click.browser", "click.platform", "click.device",
    ),
    "opens": (
        "linkId", "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created",
        "open.browser", "open.platform", "open.device",
    ),
    "automated_opens": (
        "mailingId", "mailingToUserId", "mailingGroupId", "userId", "created", "open.browser", "open.platform",
    ),
    "unsubscribes": ("mailingId", "mailingToUserId", "mailingGroupId", "userId", "created"),
    "responses": ("mailingId", "mailingToUserId", "mailingGroupId", "userId", "created", "category"),
}
SEED_FILE_STEMS = {
    "mailings": "mailings", "mailing_recipients": "mailingrecipients", "links": "links", "clicks": "clicks",
    "opens": "opens", "automated_opens": "automated_opens", "unsubscribes": "unsubscribes",
    "responses": "responses",
}
ID_COLUMNS = {"id", "compoundMasterId", "mailingGroupId", "mailing.recipientLists", "mailingId", "linkId",
              "mailingToUserId"}
TIME_COLUMNS = {"created", "started", "finished"}
SEED_EXAMPLES = {
    "id": "51106527229", "compoundMasterId": "71206365463", "mailingGroupId": "44018617811",
    "mailing.recipientLists": "58243723257", "started": "2021-01-01 12:07:55", "finished": "2021-01-01 12:09:10",
    "mailingId": "51106527229", "userId": "user@example.com", "created": "2021-01-01 12:07:55",
    "sendingStatus": "sent", "deliveryStatus": "OK", "response.category": "unknown", "mailingToUserId": "25951836752",
    "name": "Impressum", "url": "http://www.example.com", "linkId": "44018617936", "click.browser": "Firefox 64.1",
    "click.platform": "Windows 10", "click.device": "Desktop", "open.browser": "Firefox 64.1",
    "open.platform": "Windows 10", "open.device": "Desktop", "category": "autoresponder",
}


def test_eight_tables_with_the_seeds_file_names_and_headers():
    assert {name: t.wire_header for name, t in RESPONSE_TABLES.items()} == SEED_HEADERS
    assert {name: t.file_stem for name, t in RESPONSE_TABLES.items()} == SEED_FILE_STEMS
    assert RESPONSE_TABLES["mailing_recipients"].file_name(dt.date(2021, 1, 2)) == "20210102_mailingrecipients.csv"


def test_warehouse_columns_are_the_snake_case_of_wire_names():
    assert RESPONSE_TABLES["mailings"].column_names == (
        "id", "compound_master_id", "mailing_group_id", "mailing_recipient_lists", "started", "finished",
    )
    assert RESPONSE_TABLES["clicks"].column_names[-3:] == ("click_browser", "click_platform", "click_device")
    assert RESPONSE_TABLES["mailing_recipients"].column_names[-3:] == (
        "sending_status", "delivery_status", "response_category",
    )
    assert warehouse_column("mailingToUserId") == "mailing_to_user_id"
    for table in RESPONSE_TABLES.values():
        assert list(table.model.to_schema().columns) == list(table.column_names)


@pytest.mark.parametrize("name", SEED_HEADERS)
def test_types_follow_the_wire_meaning(name):
    for column in RESPONSE_TABLES[name].columns:
        if column.wire_name in ID_COLUMNS:
            assert column.arrow_type == pa.int64(), column
        elif column.wire_name in TIME_COLUMNS:
            assert column.arrow_type == pa.timestamp("us"), column  # naive, as on the wire
        else:
            assert column.arrow_type == pa.string(), column
        assert column.description, column


def test_enums_are_the_documented_values_and_nullable_only_where_a_value_may_be_missing():
    recipients = {c.wire_name: c for c in RESPONSE_TABLES["mailing_recipients"].columns}
    assert recipients["sendingStatus"].allowed_values == ("sending", "sent", "could_not_be_sent")
    assert not recipients["sendingStatus"].nullable
    assert recipients["deliveryStatus"].allowed_values == ("OK", "HARD", "SOFT")
    assert recipients["deliveryStatus"].nullable
    categories = ("unknown", "bounce", "temporary_bounce", "fatal_bounce", "autoresponder")
    assert recipients["response.category"].allowed_values == categories
    assert recipients["response.category"].nullable
    category = RESPONSE_TABLES["responses"].columns[-1]
    assert (category.wire_name, category.allowed_values, category.nullable) == ("category", categories, False)
    for table in RESPONSE_TABLES.values():
        for column in table.columns:
            if column.wire_name in {"id", "mailingId", "linkId", "mailingToUserId", "mailingGroupId", "userId",
                                    "created", "started", "url"}:
                assert not column.nullable, (table.name, column.name)
    assert {c.wire_name for c in RESPONSE_TABLES["mailings"].columns if c.nullable} == {
        "compoundMasterId", "mailing.recipientLists", "finished",
    }


def test_primary_and_foreign_keys_are_the_seeds():
    assert {n: t.primary_key for n, t in RESPONSE_TABLES.items() if t.primary_key} == {
        "mailings": ("id",), "mailing_recipients": ("id",), "links": ("id",),
    }
    for name in ("mailing_recipients", "links", "clicks", "opens", "automated_opens", "unsubscribes", "responses"):
        assert ForeignKey("mailing_id", "mailings", "id") in RESPONSE_TABLES[name].foreign_keys
    assert ForeignKey("link_id", "links", "id") in RESPONSE_TABLES["clicks"].foreign_keys
    for table in RESPONSE_TABLES.values():
        for key in table.foreign_keys:
            assert key.column in table.column_names
            assert key.references_column in RESPONSE_TABLES[key.references_table].primary_key
        for column in table.columns:
            assert column.unique == (column.name in table.primary_key)


def _frame(name: str, **changes) -> pd.DataFrame:
    table = RESPONSE_TABLES[name]
    arrays = {}
    for column in table.columns:
        value = changes.get(column.name, SEED_EXAMPLES[column.wire_name])
        arrays[column.name] = pa.array([value], pa.string()).cast(column.arrow_type)
    return pa.table(arrays).to_pandas(types_mapper=pd.ArrowDtype)


@pytest.mark.parametrize("name", SEED_HEADERS)
def test_the_pandera_model_accepts_the_seeds_example_row(name):
    RESPONSE_TABLES[name].model.validate(_frame(name))


def test_the_pandera_model_rejects_bad_enums_missing_values_and_wrong_columns():
    model = RESPONSE_TABLES["mailing_recipients"].model
    with pytest.raises(pandera.errors.SchemaError, match="isin"):
        model.validate(_frame("mailing_recipients", sending_status="delivered"))
    with pytest.raises(pandera.errors.SchemaError, match="null"):
        model.validate(_frame("mailing_recipients", user_id=None))
    model.validate(_frame("mailing_recipients", delivery_status=None, response_category=None))
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors), match="userId"):
        model.validate(_frame("mailing_recipients").rename(columns={"user_id": "userId"}))
    with pytest.raises(pandera.errors.SchemaError, match="to have type int64"):
        model.validate(_frame("mailing_recipients").astype({"id": "string[pyarrow]"}))


def test_duplicate_keys_counts_repeated_keys_only():
    data = pa.table({"id": pa.array([5, 7, 5, 9, 7, 5, None, None], pa.int64()), "x": list("abcdefgh")})
    duplicates = duplicate_keys(data, ["id"])
    assert duplicates.to_pylist() == [{"id": 5, "row_count": 3}, {"id": 7, "row_count": 2}]
    assert duplicate_keys(data.slice(0, 2), ["id"]).num_rows == 0


def test_dagster_column_schema_comes_from_the_model():
    schema = dagster_table_schema("mailing_recipients")
    assert isinstance(schema, dg.TableSchema)
    assert [c.name for c in schema.columns] == list(RESPONSE_TABLES["mailing_recipients"].column_names)
    by_name = {c.name: c for c in schema.columns}
    assert by_name["id"].type == "bigint"
    assert by_name["id"].constraints.unique and not by_name["id"].constraints.nullable
    assert by_name["created"].type == "timestamp"
    assert by_name["delivery_status"].type == "text" and by_name["delivery_status"].constraints.nullable
    assert "one of: OK, HARD, SOFT" in by_name["delivery_status"].constraints.other
    assert "foreign key -> mailings.id" in by_name["mailing_id"].constraints.other
    assert "Sending date and time" in by_name["created"].description
    assert "primary key (id)" in schema.constraints.other


def test_dagster_records_the_column_schema_of_an_asset():
    @dg.asset(metadata={"dagster/column_schema": dagster_table_schema("clicks")})
    def clicks():
        return None

    result = dg.materialize([clicks])
    assert result.success
    node = dg.Definitions(assets=[clicks]).get_repository_def().asset_graph.get(clicks.key)
    recorded = node.metadata["dagster/column_schema"]
    schema = recorded.schema if isinstance(recorded, dg.TableSchemaMetadataValue) else recorded
    assert [c.name for c in schema.columns] == list(RESPONSE_TABLES["clicks"].column_names)


def test_file_names_map_to_tables():
    day, table = parse_file_name("20210102_mailingrecipients.csv")
    assert (day, table) == (dt.date(2021, 1, 2), RESPONSE_TABLES["mailing_recipients"])
    assert parse_file_name("20210102_automated_opens.csv.gz")[1].name == "automated_opens"
    assert parse_file_name("20211302_clicks.csv") is None
    assert parse_file_name("20210102_subscribers.csv") is None
    assert parse_file_name(".20210102_clicks.csv.tmp") is None
    assert response_table("mailingrecipients") is response_table("mailing_recipients")
    with pytest.raises(KeyError):
        response_table("bounces")


def _csv(header, rows) -> str:
    quoted = lambda v: '"' + v.replace('"', '""') + '"'  # noqa: E731
    return "".join(";".join(quoted(v) for v in line) + "\n" for line in [header, *rows])


def test_warehouse_table_from_the_model_takes_the_readers_batches(warehouse, tmp_path):
    header = SEED_HEADERS["mailing_recipients"]
    rows = [
        ["25951836752", "51106527229", "44018617811", "a@example.com", "2021-01-01 12:07:55", "sent", "OK", ""],
        ["25951836753", "51106527229", "44018617811", "b@example.com", "2021-01-01 12:07:56", "sending", "", ""],
    ]
    path = tmp_path / "20210101_mailingrecipients.csv"
    path.write_text(_csv(header, rows), encoding="utf-8")
    columns = sqlalchemy_columns("mailing_recipients")
    assert [type(c.type) for c in columns[:5]] == [sa.BigInteger] * 3 + [sa.Text, sa.DateTime]
    assert "partition_date" not in [c.name for c in columns]
    partition = sa.Column("partition_date", sa.Date, nullable=False)
    table = sa.Table("mailing_recipients", sa.MetaData(), partition, *columns)
    warehouse.ensure_table(table)

    data = read_response_file(path).data
    day = dt.date(2021, 1, 1)
    with_partition = data.append_column("partition_date", pa.array([day] * data.num_rows, pa.date32()))
    assert warehouse.replace_partition(table, "partition_date", day, [with_partition]) == 2

    frame = warehouse.read_frame(
        "SELECT id, created, delivery_status, response_category FROM mailing_recipients ORDER BY id"
    )
    assert frame["id"].tolist() == [25951836752, 25951836753]
    assert [pd.Timestamp(v) for v in frame["created"]] == [
        pd.Timestamp("2021-01-01 12:07:55"), pd.Timestamp("2021-01-01 12:07:56"),
    ]
    assert frame["delivery_status"].isna().tolist() == [False, True]
    assert frame["delivery_status"][0] == "OK"
    assert frame["response_category"].isna().all()
    columns = warehouse.read_frame(
        "SELECT column_name, is_nullable, data_type FROM information_schema.columns"
        " WHERE table_name = 'mailing_recipients'"
    ).set_index("column_name")
    assert columns.loc["user_id", "is_nullable"] == "NO" and columns.loc["delivery_status", "is_nullable"] == "YES"
    assert columns.loc["id", "data_type"].lower() == "bigint"
    assert columns.loc["created", "data_type"].lower().startswith("timestamp")


@pytest.mark.parametrize("name", SEED_HEADERS)
def test_the_readers_output_satisfies_the_full_pandera_model(tmp_path, name):
    table = RESPONSE_TABLES[name]
    path = tmp_path / table.file_name(dt.date(2021, 1, 1))
    path.write_text(_csv(table.wire_header, [[SEED_EXAMPLES[w] for w in table.wire_header]]), encoding="utf-8")
    data = read_response_file(path).data
    assert data.schema == table.arrow_schema
    table.model.validate(data.to_pandas(types_mapper=pd.ArrowDtype))


def test_the_sandbox_generators_day_reads_with_keys_that_hold(tmp_path):
    from episerver_assets.sandbox.generator import write_response_day

    written = write_response_day(tmp_path, dt.date(2026, 1, 5), seed=7, scale="small")
    data = {}
    for file in written.values():
        result = read_response_file(file.path)
        assert result.row_count == file.rows > 0
        data[result.table.name] = result.data
    assert set(data) == set(RESPONSE_TABLES)
    for table in RESPONSE_TABLES.values():
        if table.primary_key:
            assert duplicate_keys(data[table.name], table.primary_key).num_rows == 0
        for key in table.foreign_keys:
            referenced = set(data[key.references_table][key.references_column].to_pylist())
            assert set(data[table.name][key.column].to_pylist()) <= referenced, (table.name, key)
