"""`episerver-assets demo`: the sandbox, the embedded warehouse and every asset, end to end."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="start the sandbox and materialize every asset into the warehouse")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError
