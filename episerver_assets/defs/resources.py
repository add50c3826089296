"""The shared resources, bound for every capability under `defs/`."""

import dagster as dg

from ..resources import shared_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=shared_resources())
