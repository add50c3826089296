"""One plan asset and one apply asset per export of EPISERVER_EXPORTS_CONFIG (read when the code location loads)."""

import dagster as dg

from ..audiences.assets import AUDIENCES
from .apply_asset import build_apply_asset
from .config import load_exports
from .plan_asset import build_plan_asset

EXPORTS = load_exports(audience_slugs={a.slug for a in AUDIENCES})
"""A refused file stops the load with file, line and column, as the audiences file does."""


@dg.definitions
def exports() -> dg.Definitions:
    return dg.Definitions(assets=[asset for export in EXPORTS
                                  for asset in (build_plan_asset(export, AUDIENCES), build_apply_asset(export))])
