"""DuckDB settings while an apply runs: one engine thread, and a checkpoint per 256 MB of log, not 16 MiB.

On the embedded engine the warehouse's work shares the process (and the machine's cores) with the
sending threads. A 1,000,000-member backfill on 2 cores (export_backfill.py): DuckDB's worker thread
spent 1.6 ms CPU per 1000 recipients beside the apply's own warehouse thread, which does the same
work alone for about 0.3 ms more; and an automatic checkpoint every 16 MiB of log cost 1.3-3.2 ms
per 1000 in commits, growing with the database. Both settings are the database's, not the
connection's: they hold for everything else this process does with the file meanwhile (another
process waits for the file anyway), and are put back, with a CHECKPOINT, when the last apply on it
ends. Counted per database file, like `fewer_full_collections`, so that two applies do not undo each
other's settings.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as sa

from ...warehouse import WarehouseResource

APPLY_SETTINGS = {"threads": "1", "checkpoint_threshold": "256MB"}
"""256 MB of log between checkpoints: they run on the warehouse thread while sending goes on (commits 1.4
ms CPU per 1000 recipients of a 1,000,000-member backfill). With 1 GB none ran during it (commits
0.7) but the CHECKPOINT at its end held it 0.85 s more: apply 91% of the reference against 94%
(export_backfill.py)."""


class _DuckDbApplySettings:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._applies: dict[str, tuple[int, dict[str, str]]] = {}
        """Per database file: the applies running on it, and its settings from before the first (kept with
        no apply running when they could not be put back)."""

    @contextmanager
    def __call__(self, warehouse: WarehouseResource) -> Iterator[None]:
        """Inside `warehouse.session()`: the settings are made and put back on its connection."""
        database = warehouse.engine.url.database
        if warehouse.dialect != "duckdb" or not database or database == ":memory:":
            yield
            return
        database = os.path.realpath(database)
        self._enter(warehouse, database)
        try:
            yield
        except BaseException:
            with suppress(Exception):  # the apply's own failure is the one to report
                self._exit(warehouse, database)
            raise
        self._exit(warehouse, database)

    def _enter(self, warehouse: WarehouseResource, database: str) -> None:
        with self._lock:
            applies, before = self._applies.get(database, (0, None))
            if not applies:
                with warehouse.begin() as connection:
                    # Settings left by a failed restore are not the database's own: the ones kept are.
                    if before is None:
                        before = {name: connection.execute(sa.text("SELECT current_setting(:name)"),
                                                           {"name": name}).scalar_one() for name in APPLY_SETTINGS}
                        self._applies[database] = (0, before)  # kept even if a SET below fails half-way
                    _set(connection, APPLY_SETTINGS)
            self._applies[database] = (applies + 1, before)

    def _exit(self, warehouse: WarehouseResource, database: str) -> None:
        with self._lock:
            applies, before = self._applies[database]
            if applies > 1:
                self._applies[database] = (applies - 1, before)
                return
            self._applies[database] = (0, before)  # if putting them back fails, the next apply's end does it
            with warehouse.begin() as connection:
                _set(connection, before)
            del self._applies[database]
            try:
                with warehouse.begin() as connection:
                    connection.execute(sa.text("CHECKPOINT"))
            except sa.exc.DBAPIError:
                pass  # another transaction holds the log: the next automatic checkpoint, or closing the file, does it


def _set(connection: sa.Connection, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        # SET takes no parameters; the names are ours and the values DuckDB's own or ours.
        connection.execute(sa.text(f"SET {name} = '{value}'"))


duckdb_apply_settings = _DuckDbApplySettings()
