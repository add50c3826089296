"""`episerver-assets doctor`: what is configured, and whether each endpoint answers and accepts us."""

from __future__ import annotations

import argparse
import os

from ..resources import shared_resources
from ..settings import DEFAULTS

_SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the configured warehouse and Campaign endpoints; exit 0 only when all answer"
    )
    parser.set_defaults(run=run)


def _masked(name: str, value: str) -> str:
    if value and any(word in name for word in _SECRET_WORDS) and not name.endswith(("_PATH", "PRIVATE_KEY")):
        return "****"
    return value


def configuration() -> dict[str, str]:
    names = sorted({*DEFAULTS, *(n for n in os.environ if n.startswith("EPISERVER_"))})
    return {
        name: _masked(name, os.environ.get(name) or DEFAULTS.get(name, ""))
        + ("" if os.environ.get(name) else "  (default)")
        for name in names
    }


def run(args: argparse.Namespace) -> int:
    print("Configuration:")
    for name, value in configuration().items():
        print(f"  {name} = {value}")
    print("Checks:")
    failures = 0
    for name, resource in shared_resources().items():
        try:
            ok, detail = _outcome(resource.check())
        except Exception as error:  # noqa: BLE001 - doctor reports every failure and goes on
            ok, detail = False, f"{type(error).__name__}: {error}"
        failures += not ok
        print(f"  {'OK  ' if ok else 'FAIL'}  {name}: {detail}")
    return 1 if failures else 0


def _outcome(result: object) -> tuple[bool, str]:
    """Each resource's check returns its own record; read whether it passed and a line to show."""
    ok = bool(getattr(result, "ok", True))
    summary = getattr(result, "summary", None)
    if callable(summary):
        return ok, summary()
    return ok, str(getattr(result, "message", result))
