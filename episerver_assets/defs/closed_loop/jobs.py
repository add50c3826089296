"""The job that sensors and backfills run for the closed-loop tables."""

import dagster as dg

from .assets import closed_loop_responses

closed_loop_job = dg.define_asset_job(
    "closed_loop_job",
    selection=dg.AssetSelection.assets(closed_loop_responses),
    description="Load one day (or a range of days) of Campaign's closed-loop response files.",
)
