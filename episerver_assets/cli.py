"""The `episerver-assets` command: one subcommand per module under `commands/`."""

from __future__ import annotations

import argparse
import logging
import sys

from .commands import demo, doctor, pools, sandbox

SUBCOMMANDS = (demo, sandbox, doctor, pools)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="episerver-assets",
        description="Dagster assets for Optimizely Campaign: demo, local sandbox, connection checks.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        for chatty in ("asyncssh", "paramiko", "httpx", "alembic"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
