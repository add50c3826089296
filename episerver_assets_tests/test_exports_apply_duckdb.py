"""The apply's DuckDB settings belong to the database: two applies at once must not undo each other's, the
settings from before come back after the last, and the log written meanwhile is checkpointed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from episerver_assets.defs.exports.apply_duckdb import APPLY_SETTINGS, duckdb_apply_settings
from episerver_assets.warehouse import WarehouseResource


def _settings(warehouse: WarehouseResource) -> dict[str, str]:
    with warehouse.begin() as connection:
        threads, threshold = connection.execute(sa.text(
            "SELECT current_setting('threads'), current_setting('checkpoint_threshold')")).one()
    return {"threads": str(threads), "checkpoint_threshold": threshold}


def test_the_settings_last_until_the_last_of_two_overlapping_applies_ends(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    first, second = WarehouseResource(url=url), WarehouseResource(url=url)
    with first.session(), second.session():
        with first.begin() as connection:  # settings of the database's own, not the defaults
            connection.execute(sa.text("SET threads = 3"))
            connection.execute(sa.text("SET checkpoint_threshold = '32MB'"))
            connection.execute(sa.text("CREATE TABLE t (n INTEGER)"))
        before = _settings(first)
        applying = {"threads": "1", "checkpoint_threshold": "244.1 MiB"}
        assert APPLY_SETTINGS == {"threads": "1", "checkpoint_threshold": "256MB"}
        with duckdb_apply_settings(first):  # apply A starts
            assert _settings(second) == applying
            with duckdb_apply_settings(second):  # apply B starts
                with second.begin() as connection:
                    connection.execute(sa.text("INSERT INTO t SELECT range FROM range(100000)"))
            assert _settings(first) == applying  # B ended while A runs
            wal = tmp_path / "warehouse.duckdb.wal"
            assert wal.exists() and wal.stat().st_size > 0
        assert _settings(second) == before == {"threads": "3", "checkpoint_threshold": "30.5 MiB"}
        assert not wal.exists() or wal.stat().st_size == 0  # checkpointed when the last apply ended


def test_a_failed_apply_puts_the_settings_back_and_its_own_error_comes_out(tmp_path: Path):
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    with warehouse.session():
        with warehouse.begin() as connection:  # not 1, whatever the machine's cores
            connection.execute(sa.text("SET threads = 3"))
        before = _settings(warehouse)
        with pytest.raises(RuntimeError, match="the apply failed"), duckdb_apply_settings(warehouse):
            assert _settings(warehouse)["threads"] == APPLY_SETTINGS["threads"] != before["threads"]
            raise RuntimeError("the apply failed")
        assert _settings(warehouse) == before


def test_settings_that_could_not_be_put_back_are_put_back_when_the_next_apply_ends(tmp_path: Path, monkeypatch):
    from episerver_assets.defs.exports import apply_duckdb

    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    with warehouse.session():
        with warehouse.begin() as connection:
            connection.execute(sa.text("SET threads = 3"))
        before = _settings(warehouse)
        real_set = apply_duckdb._set

        def failing_restore(connection, settings):
            if settings is not APPLY_SETTINGS:
                raise sa.exc.OperationalError("SET", {}, RuntimeError("the database went away"))
            real_set(connection, settings)

        monkeypatch.setattr(apply_duckdb, "_set", failing_restore)
        with pytest.raises(sa.exc.OperationalError), duckdb_apply_settings(warehouse):
            pass
        assert _settings(warehouse)["threads"] == APPLY_SETTINGS["threads"]  # left as the apply set them
        monkeypatch.setattr(apply_duckdb, "_set", real_set)
        with duckdb_apply_settings(warehouse):
            assert _settings(warehouse)["threads"] == APPLY_SETTINGS["threads"]
        assert _settings(warehouse) == before  # the next apply did not take the apply's settings for the own
