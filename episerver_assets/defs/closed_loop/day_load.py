"""One day of response files inside a run: which files are there, what loaded, what failed, and the
check results that follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pyarrow as pa

from ...campaign.sftp import RemoteFile, SftpSession
from ...warehouse import WarehouseResource
from .checks import (
    ALL_FILES_CHECK,
    FOREIGN_KEY_CHECK,
    PRIMARY_KEY_CHECK,
    SCHEMA_CHECK,
    asset_key,
    duplicate_key_count,
    orphan_counts,
)
from .loading import LoadedFile, load_response_file
from .reader import ResponseFileError
from .schemas import RESPONSE_TABLES, ResponseTable, dagster_table_schema, parse_file_name


@dataclass(frozen=True)
class Problem:
    day: dt.date
    table: ResponseTable
    reason: str
    error: ResponseFileError | None = None

    @property
    def summary(self) -> str:
        return f"{self.day} {self.table.name}: {self.reason}"


def markdown_table(rows: pa.Table) -> str:
    def cell(value) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", "\\n")

    lines = ["| " + " | ".join(rows.column_names) + " |", "|" + " --- |" * rows.num_columns]
    lines += ["| " + " | ".join(cell(v) for v in row.values()) + " |" for row in rows.to_pylist()]
    return "\n".join(lines)


class DayLoad:
    """Loads the selected tables of one day from the files listed on the server."""

    def __init__(self, day: dt.date, listing: dict[str, RemoteFile], response_dir: str):
        self.day = day
        self.response_dir = response_dir
        self.files: dict[str, RemoteFile] = {}
        for name, remote in sorted(listing.items()):
            parsed = parse_file_name(name)
            if parsed and parsed[0] == day:
                self.files[parsed[1].name] = remote
        self.loaded: dict[str, LoadedFile] = {}
        self.problems: list[Problem] = []

    @property
    def missing_files(self) -> list[str]:
        return [t.file_name(self.day) for t in RESPONSE_TABLES.values() if t.name not in self.files]

    def load_table(
        self,
        context: dg.AssetExecutionContext,
        session: SftpSession,
        warehouse: WarehouseResource,
        table: ResponseTable,
        scratch: Path,
    ) -> dg.AssetMaterialization | None:
        remote = self.files.get(table.name)
        if remote is None:
            reason = f"{table.file_name(self.day)} is not on the server (expired after 30 days, or not delivered)"
            context.log.error(f"{self.day} {table.name}: {reason}")
            self.problems.append(Problem(self.day, table, reason))
            return None
        local = scratch / remote.name
        session.download(f"{self.response_dir}/{remote.name}", local)
        try:
            loaded = load_response_file(warehouse, table, self.day, local)
        except ResponseFileError as error:
            context.log.error(str(error))
            self.problems.append(Problem(self.day, table, f"{remote.name} is invalid", error))
            return None
        finally:
            local.unlink(missing_ok=True)
        self.loaded[table.name] = loaded
        context.log.info(f"{self.day} {table.name}: {loaded.rows} rows from {remote.name}")
        return dg.AssetMaterialization(
            asset_key=asset_key(table),
            partition=self.day.isoformat(),
            metadata={
                "dagster/row_count": loaded.rows,
                "file": remote.name,
                "size_bytes": loaded.size_bytes,
                "sha256": loaded.sha256,
                "delivered_at": remote.mtime.isoformat(),
                "dagster/column_schema": dagster_table_schema(table),
                "preview": dg.MetadataValue.md(markdown_table(loaded.preview)),
            },
        )

    @staticmethod
    def problems_markdown(problems: Iterable[Problem]) -> str:
        parts = []
        for problem in problems:
            parts.append(f"**{problem.summary}**")
            if problem.error is not None:
                parts.append(problem.error.markdown())
        return "\n\n".join(parts)

    @staticmethod
    def check_results(
        context: dg.AssetExecutionContext,
        loads: list[DayLoad],
        tables: list[ResponseTable],
        warehouse: WarehouseResource,
    ) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys

        def wanted(table: ResponseTable, name: str) -> bool:
            return dg.AssetCheckKey(asset_key(table), name) in selected

        with warehouse.begin() as connection:
            for table in tables:
                invalid = [p for load in loads for p in load.problems if p.table == table and p.error]
                loaded_days = [load.day for load in loads if table.name in load.loaded]
                if wanted(table, SCHEMA_CHECK) and (invalid or loaded_days):
                    yield dg.AssetCheckResult(
                        asset_key=asset_key(table),
                        check_name=SCHEMA_CHECK,
                        passed=not invalid,
                        metadata={
                            "invalid_files": len(invalid),
                            "failing_rows": dg.MetadataValue.md(DayLoad.problems_markdown(invalid) or "none"),
                        },
                    )
                if not loaded_days:
                    continue
                if table.primary_key and wanted(table, PRIMARY_KEY_CHECK):
                    duplicates = sum(duplicate_key_count(connection, table, day) for day in loaded_days)
                    yield dg.AssetCheckResult(
                        asset_key=asset_key(table),
                        check_name=PRIMARY_KEY_CHECK,
                        passed=duplicates == 0,
                        metadata={"duplicated_keys": duplicates},
                    )
                if table.foreign_keys and wanted(table, FOREIGN_KEY_CHECK):
                    orphans: dict[str, int] = {}
                    for day in loaded_days:
                        for name, count in orphan_counts(connection, table, day).items():
                            orphans[name] = orphans.get(name, 0) + count
                    yield dg.AssetCheckResult(
                        asset_key=asset_key(table),
                        check_name=FOREIGN_KEY_CHECK,
                        passed=sum(orphans.values()) == 0,
                        severity=dg.AssetCheckSeverity.WARN,
                        metadata={"orphans": sum(orphans.values()), **{f"orphans: {k}": v for k, v in orphans.items()}},
                    )
        mailings = RESPONSE_TABLES["mailings"]
        if wanted(mailings, ALL_FILES_CHECK):
            missing = [name for load in loads for name in load.missing_files]
            yield dg.AssetCheckResult(
                asset_key=asset_key(mailings),
                check_name=ALL_FILES_CHECK,
                passed=not missing,
                metadata={"missing_files": dg.MetadataValue.json(missing), "days": len(loads)},
            )
