"""The `episerver-assets` command: one subcommand per module under `commands/`.

`--help` reads no setting. Before any command runs, every setting is validated once; a bad one ends
the command with one line naming the variable (exit 2), never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .commands import demo, doctor, pools, sandbox, webhook_receiver
from .commands.failures import UserFacingError
from .redaction import MaskPasswordsFilter, mask_passwords

SUBCOMMANDS = (demo, sandbox, doctor, pools, webhook_receiver)
BAD_SETTING_EXIT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="episerver-assets",
        description="Dagster assets for Optimizely Campaign: demo, local sandbox, connection checks.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:  # basicConfig's, or those of whoever called main()
        if not any(isinstance(f, MaskPasswordsFilter) for f in handler.filters):
            handler.addFilter(MaskPasswordsFilter())
    if not verbose:
        for chatty in ("asyncssh", "paramiko", "httpx", "alembic"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    from .settings import SettingError, load_settings

    try:
        args.settings = load_settings()
        return args.run(args)
    except SettingError as error:
        print(f"episerver-assets: {mask_passwords(error)}", file=sys.stderr)
        return BAD_SETTING_EXIT
    except UserFacingError as error:
        print(f"episerver-assets: {mask_passwords(error)}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
