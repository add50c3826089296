"""The episerver-assets code location: every capability's assets, checks, sensors and resources."""

import dagster as dg

from .closed_loop.assets import closed_loop_responses, response_files
from .closed_loop.jobs import closed_loop_job
from .closed_loop.sensors import closed_loop_response_files_sensor
from .resources import shared_resources


def build_definitions() -> dg.Definitions:
    """Resources read the environment when this runs: `demo` calls it again after starting the sandbox."""
    return dg.Definitions(
        assets=[response_files, closed_loop_responses],
        jobs=[closed_loop_job],
        sensors=[closed_loop_response_files_sensor],
        resources=shared_resources(),
    )


defs = build_definitions()
