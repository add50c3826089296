"""`episerver-assets pools`: set the Dagster instance's concurrency pool limits."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser("pools", help="set the concurrency pool limits on the Dagster instance")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import dagster as dg

    from ..pools import apply_pool_limits, configured_warehouse_dialect

    dialect = configured_warehouse_dialect()
    with dg.DagsterInstance.get() as instance:
        for pool, limit in apply_pool_limits(instance, dialect).items():
            print(f"{pool}: {limit}")
    return 0
