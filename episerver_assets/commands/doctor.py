"""`episerver-assets doctor`: what is configured, and whether each endpoint answers and accepts us."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass

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
    unknown = sorted(n for n in os.environ
                     if n.startswith("EPISERVER_") and not n.startswith("EPISERVER_TEST_") and n not in SETTINGS)
    lines += [f"  {name}: not a setting of episerver-assets (ignored)" for name in unknown]
    return lines


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    print("Configuration:")
    print("\n".join(configuration(settings)))
    print("Checks:")
    sandbox_down = False
    failures = 0
    for name, check in _checks(settings).items():
        try:
            ok, detail = _outcome(check())
        except Exception as error:  # noqa: BLE001 - doctor reports every failure and goes on
            ok, detail = False, one_line(error)
        failures += not ok
        sandbox_down |= not ok and name in _SANDBOX_ADDRESSES and settings.is_default(_SANDBOX_ADDRESSES[name])
        print(f"  {'OK  ' if ok else 'FAIL'}  {name}: {detail}")
    if sandbox_down:
        print(f"No sandbox answers on {SANDBOX_HOST}:{SANDBOX_HTTP_PORT} (REST, SOAP) and {SANDBOX_SFTP_PORT} (SFTP): "
              "start one in another terminal with `episerver-assets sandbox`, or set the EPISERVER_* variables "
              "of your Campaign client (see .env.example).")
    return 1 if failures else 0


def _checks(settings: Settings) -> dict[str, Callable[[], object]]:
    """One check per shared resource; the warehouse's names the URL (password masked) when it fails."""
    from ..resources import shared_resources
    from ..warehouse.engines import WarehouseUnreachable, describe_url, probe_warehouse

    url = settings["EPISERVER_WAREHOUSE_URL"]

    def warehouse() -> object:
        try:
            return f"{probe_warehouse(url)} at {describe_url(url)}"
        except WarehouseUnreachable as error:
            return _Failed(str(error))

    resources = shared_resources(settings)
    return {"warehouse": warehouse, **{name: resources[name].check for name in ("rest", "soap", "sftp")}}


@dataclass(frozen=True)
class _Failed:
    message: str
    ok: bool = False


def _outcome(result: object) -> tuple[bool, str]:
    """Each resource's check returns its own record; read whether it passed and a line to show."""
    ok = bool(getattr(result, "ok", True))
    summary = getattr(result, "summary", None)
    if callable(summary):
        return ok, summary()
    return ok, str(getattr(result, "message", result))
