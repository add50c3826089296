"""`episerver-assets doctor`: what is configured, and whether each endpoint answers and accepts us."""

from __future__ import annotations

import argparse
import os

from ..settings import SANDBOX_HOST, SANDBOX_HTTP_PORT, SANDBOX_SFTP_PORT, SETTINGS, Settings
from .failures import one_line

# The checks that reach the sandbox when nothing points them elsewhere.
_SANDBOX_ADDRESSES = {"rest": "EPISERVER_REST_URL", "soap": "EPISERVER_SOAP_URL", "sftp": "EPISERVER_SFTP_HOST"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the configured warehouse and Campaign endpoints; exit 0 only when all answer"
    )
    parser.set_defaults(run=run)


def configuration(settings: Settings) -> list[str]:
    """Every setting with its effective value (defaults marked, secrets masked), then unknown EPISERVER_* names."""
    lines = [f"  {name} = {settings.shown(name)}{'  (default)' if settings.is_default(name) else ''}"
             for name in SETTINGS]
    unknown = sorted(n for n in os.environ if n.startswith("EPISERVER_") and n not in SETTINGS)
    lines += [f"  {name}: not a setting of episerver-assets (ignored)" for name in unknown]
    return lines


def run(args: argparse.Namespace) -> int:
    from ..resources import shared_resources

    settings: Settings = args.settings
    print("Configuration:")
    print("\n".join(configuration(settings)))
    print("Checks:")
    sandbox_down = False
    failures = 0
    for name, resource in shared_resources(settings).items():
        try:
            ok, detail = _outcome(resource.check())
        except Exception as error:  # noqa: BLE001 - doctor reports every failure and goes on
            ok, detail = False, one_line(error)
            sandbox_down |= name in _SANDBOX_ADDRESSES and settings.is_default(_SANDBOX_ADDRESSES[name])
        failures += not ok
        print(f"  {'OK  ' if ok else 'FAIL'}  {name}: {detail}")
    if sandbox_down:
        print(f"No sandbox answers on {SANDBOX_HOST}:{SANDBOX_HTTP_PORT} (REST, SOAP) and {SANDBOX_SFTP_PORT} (SFTP): "
              "start one in another terminal with `episerver-assets sandbox`, or set the EPISERVER_* variables "
              "of your Campaign client (see .env.example).")
    return 1 if failures else 0


def _outcome(result: object) -> tuple[bool, str]:
    """Each resource's check returns its own record; read whether it passed and a line to show."""
    ok = bool(getattr(result, "ok", True))
    summary = getattr(result, "summary", None)
    if callable(summary):
        return ok, summary()
    return ok, str(getattr(result, "message", result))
