"""The checks' results for one day, each attached to that day's partition.

`dg.AssetCheckResult` takes the step's partition only when the step has one partition key; a 7-day
run must report seven results per check, so the step yields `dg.AssetCheckEvaluation`s that name
their partition and the materialization they checked. Dagster still applies blocking semantics to
them (a failed blocking check fails the step and stops downstream assets).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (  # not re-exported by dagster
    AssetCheckEvaluationTargetMaterializationData,
)

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
from .day_load import Problem, TableDay, describe_failure
from .schemas import RESPONSE_TABLES, ResponseTable

log = logging.getLogger(__name__)


def _target(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str):
    """The partition's latest materialization, which the UI links the result to."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=records[0].storage_id, run_id=records[0].event_log_entry.run_id, timestamp=records[0].timestamp
    )


class DayChecks:
    """Evaluates the selected checks of one day's outcomes."""

    def __init__(self, context: dg.AssetExecutionContext, warehouse: WarehouseResource, day: dt.date):
        self.context, self.warehouse, self.day = context, warehouse, day
        self.partition = day.isoformat()

    def _evaluation(self, table: ResponseTable, name: str, passed: bool, metadata: dict,
                    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR) -> dg.AssetCheckEvaluation:
        key = asset_key(table)
        return dg.AssetCheckEvaluation(
            asset_key=key, check_name=name, passed=passed, metadata=metadata, severity=severity,
            blocking=name == SCHEMA_CHECK, partition=self.partition,
            target_materialization_data=_target(self.context.instance, key, self.partition),
        )

    def _selected(self, table: ResponseTable, name: str) -> bool:
        return dg.AssetCheckKey(asset_key(table), name) in self.context.selected_asset_check_keys

    def _query(self, table: ResponseTable, name: str, evaluate: Callable[[], dg.AssetCheckEvaluation]):
        """A check whose query fails reports that as its result instead of ending the step."""
        try:
            return evaluate()
        except Exception as error:
            message = f"{self.day} {table.name}: check {name} could not run ({describe_failure(error)})"
            self.context.log.error(message)
            return self._evaluation(table, name, False, {"error": message})

    def evaluate(self, outcomes: Sequence[TableDay]) -> Iterator[dg.AssetCheckEvaluation]:
        for outcome in outcomes:
            table = outcome.table
            if isinstance(outcome, Problem):
                if outcome.file is not None and self._selected(table, SCHEMA_CHECK):
                    yield self._evaluation(table, SCHEMA_CHECK, False,
                                           {"file": outcome.file, "failing_rows": dg.MetadataValue.md(outcome.markdown())})
                continue
            if self._selected(table, SCHEMA_CHECK):
                yield self._evaluation(table, SCHEMA_CHECK, True, {"file": outcome.file, "failing_rows": "none"})
            if table.primary_key and self._selected(table, PRIMARY_KEY_CHECK):
                yield self._query(table, PRIMARY_KEY_CHECK, lambda: self._primary_key(table))
            if table.foreign_keys and self._selected(table, FOREIGN_KEY_CHECK):
                yield self._query(table, FOREIGN_KEY_CHECK, lambda: self._foreign_keys(table))
        yield from self._all_files(outcomes)

    def _primary_key(self, table: ResponseTable) -> dg.AssetCheckEvaluation:
        with self.warehouse.begin() as connection:
            duplicates = duplicate_key_count(connection, table, self.day)
        return self._evaluation(table, PRIMARY_KEY_CHECK, duplicates == 0, {"duplicated_keys": duplicates})

    def _foreign_keys(self, table: ResponseTable) -> dg.AssetCheckEvaluation:
        with self.warehouse.begin() as connection:
            orphans = orphan_counts(connection, table, self.day)
        metadata = {"orphans": sum(orphans.values()), **{f"orphans: {k}": v for k, v in orphans.items()}}
        return self._evaluation(table, FOREIGN_KEY_CHECK, not sum(orphans.values()), metadata,
                                dg.AssetCheckSeverity.WARN)

    def _all_files(self, outcomes: Sequence[TableDay]) -> Iterator[dg.AssetCheckEvaluation]:
        mailings = RESPONSE_TABLES["mailings"]
        if self._selected(mailings, ALL_FILES_CHECK):
            missing = [o.table.file_name(self.day) for o in outcomes if isinstance(o, Problem) and o.file is None]
            yield self._evaluation(mailings, ALL_FILES_CHECK, not missing,
                                   {"missing_files": dg.MetadataValue.json(missing)})
