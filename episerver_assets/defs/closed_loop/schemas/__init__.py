"""Schemas of the eight closed-loop response files: one pandera model each, and all that derives from it.

- `models`: the pandera models (validation, column names, types, nullability, enums, descriptions)
- `tables`: `RESPONSE_TABLES` with wire headers, keys and the Arrow schema per table
- `dagster_table_schema`, `sqlalchemy_columns`: the UI's column schema and the warehouse columns
- `duplicate_keys`: the whole-file primary-key check
- `validate_batch`: wire values to typed, validated Arrow batches (used by `closed_loop.reader`)
"""

from .columns import DELIVERY_STATUSES, RESPONSE_CATEGORIES, SENDING_STATUSES, warehouse_column
from .dagster_schema import dagster_table_schema
from .keys import DUPLICATE_COUNT_COLUMN, duplicate_keys
from .models import (
    AutomatedOpens,
    Clicks,
    Links,
    MailingRecipients,
    Mailings,
    Opens,
    Responses,
    Unsubscribes,
)
from .sql_schema import sqlalchemy_columns
from .tables import RESPONSE_TABLES, ColumnSpec, ForeignKey, ResponseTable, parse_file_name, response_table
from .validation import ValueFailure, validate_batch

__all__ = [
    "DELIVERY_STATUSES",
    "DUPLICATE_COUNT_COLUMN",
    "RESPONSE_CATEGORIES",
    "RESPONSE_TABLES",
    "SENDING_STATUSES",
    "AutomatedOpens",
    "Clicks",
    "ColumnSpec",
    "ForeignKey",
    "Links",
    "MailingRecipients",
    "Mailings",
    "Opens",
    "ResponseTable",
    "Responses",
    "Unsubscribes",
    "ValueFailure",
    "dagster_table_schema",
    "duplicate_keys",
    "parse_file_name",
    "response_table",
    "sqlalchemy_columns",
    "validate_batch",
    "warehouse_column",
]
