"""The episerver-assets code location: every capability's assets, checks, sensors and resources."""

import dagster as dg

from .resources import shared_resources

defs = dg.Definitions(
    resources=shared_resources(),
)
