"""Apply runs no DDL (the plan creates the export tables): without a plan it fails naming the plan asset."""

from __future__ import annotations

import sqlalchemy as sa

from episerver_assets.defs.exports.tables import plans

from .exports_support import ExportWorld, failure_of


def test_apply_before_any_plan_fails_naming_the_plan_and_creates_nothing(sandbox, sandbox_env, warehouse_url,
                                                                          tmp_path):
    world = ExportWorld(sandbox, warehouse_url, tmp_path)

    result = world.apply()

    assert not result.success
    assert "has no plan yet" in failure_of(result) and "exports/newsletter_plan" in failure_of(result)
    with world.warehouse.begin() as connection:
        assert not sa.inspect(connection).has_table(plans.name, schema=plans.schema)
