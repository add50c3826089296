"""The eight response tables: file name, model, keys, and what follows from the model.

Everything here is derived from the pandera models, so columns, wire names, types and nullability
have one source. Primary and foreign keys are the seed's "Primary key"/"Foreign key" marks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

import pandera.pandas as pa
import pyarrow

from . import models
from .columns import warehouse_column


@dataclass(frozen=True)
class ForeignKey:
    """`column` of this table refers to `references_column` of the table named `references_table`."""

    column: str
    references_table: str
    references_column: str = "id"


@dataclass(frozen=True)
class ColumnSpec:
    """One column as the reader, Dagster and the warehouse need it, read off the model."""

    name: str
    wire_name: str
    arrow_type: pyarrow.DataType
    nullable: bool
    unique: bool
    allowed_values: tuple[str, ...] | None
    description: str


@dataclass(frozen=True)
class ResponseTable:
    """One daily response file `YYYYMMDD_<file_stem>.csv` and its warehouse table `name`."""

    name: str
    file_stem: str
    model: type[pa.DataFrameModel]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    def __post_init__(self) -> None:
        for column in self.columns:
            if column.name != warehouse_column(column.wire_name):
                raise ValueError(f"{self.name}.{column.name} breaks the naming rule for {column.wire_name!r}")

    @functools.cached_property
    def columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(_column_spec(name, column) for name, column in self.model.to_schema().columns.items())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def wire_header(self) -> tuple[str, ...]:
        """The header row of the file, in order."""
        return tuple(c.wire_name for c in self.columns)

    @property
    def title(self) -> str:
        return self.model.Config.title

    @property
    def description(self) -> str:
        return (self.model.__doc__ or "").strip()

    @functools.cached_property
    def arrow_schema(self) -> pyarrow.Schema:
        return pyarrow.schema(pyarrow.field(c.name, c.arrow_type, nullable=c.nullable) for c in self.columns)

    @functools.cached_property
    def batch_schema(self) -> pa.DataFrameSchema:
        """The model's schema for one batch: without uniqueness, which only the whole file can show."""
        schema = self.model.to_schema()
        return schema.update_columns({name: {"unique": False} for name in self.primary_key})

    def file_name(self, day: date) -> str:
        return f"{day:%Y%m%d}_{self.file_stem}.csv"


def _column_spec(name: str, column: pa.Column) -> ColumnSpec:
    allowed = next((c.statistics["allowed_values"] for c in column.checks if c.name == "isin"), None)
    return ColumnSpec(
        name=name,
        wire_name=column.title,
        arrow_type=column.dtype.type.pyarrow_dtype,
        nullable=column.nullable,
        unique=column.unique,
        allowed_values=tuple(allowed) if allowed is not None else None,
        description=column.description,
    )


_MAILING = ForeignKey("mailing_id", "mailings")
_RECIPIENT = ForeignKey("mailing_to_user_id", "mailing_recipients")
_LINK = ForeignKey("link_id", "links")

RESPONSE_TABLES: dict[str, ResponseTable] = {
    t.name: t
    for t in (
        ResponseTable("mailings", "mailings", models.Mailings, primary_key=("id",)),
        ResponseTable(
            "mailing_recipients", "mailingrecipients", models.MailingRecipients,
            primary_key=("id",), foreign_keys=(_MAILING,),
        ),
        ResponseTable("links", "links", models.Links, primary_key=("id",), foreign_keys=(_MAILING, _RECIPIENT)),
        ResponseTable("clicks", "clicks", models.Clicks, foreign_keys=(_LINK, _MAILING, _RECIPIENT)),
        ResponseTable("opens", "opens", models.Opens, foreign_keys=(_LINK, _MAILING, _RECIPIENT)),
        ResponseTable("automated_opens", "automated_opens", models.AutomatedOpens, foreign_keys=(_MAILING, _RECIPIENT)),
        ResponseTable("unsubscribes", "unsubscribes", models.Unsubscribes, foreign_keys=(_MAILING, _RECIPIENT)),
        ResponseTable("responses", "responses", models.Responses, foreign_keys=(_MAILING, _RECIPIENT)),
    )
}
"""The eight tables in the seed's order, by warehouse table name."""

_FILE_NAME = re.compile(r"^(?P<day>\d{8})_(?P<stem>[a-z_]+)\.csv(?:\.gz)?(?:\.pgp|\.gpg|\.asc)?$")


def response_table(table: ResponseTable | str) -> ResponseTable:
    """The table itself, or the one named so (warehouse name or file stem, e.g. `mailingrecipients`)."""
    if isinstance(table, ResponseTable):
        return table
    for candidate in RESPONSE_TABLES.values():
        if table in (candidate.name, candidate.file_stem):
            return candidate
    raise KeyError(f"no response table {table!r}; known: {', '.join(RESPONSE_TABLES)}")


def parse_file_name(file_name: str) -> tuple[date, ResponseTable] | None:
    """(day, table) for `YYYYMMDD_<stem>.csv` or `.csv.gz`, each also PGP-encrypted (`.pgp`, `.gpg`,
    `.asc` appended); None for any other name."""
    match = _FILE_NAME.match(file_name)
    if match is None:
        return None
    try:
        day = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
        return day, response_table(match["stem"])
    except (ValueError, KeyError):
        return None
