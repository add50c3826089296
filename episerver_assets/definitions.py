"""The episerver-assets code location: everything under `defs/`, loaded the way `create-dagster` projects do."""

from pathlib import Path

import dagster as dg


def build_definitions() -> dg.Definitions:
    """Resources read the environment when this runs: `demo` calls it again after starting the sandbox."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
