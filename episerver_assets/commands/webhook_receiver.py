"""`episerver-assets webhook-receiver`: the HTTP service that lands Campaign's webhook events."""

from __future__ import annotations

import argparse
import dataclasses


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "webhook-receiver",
        help="receive Campaign webhook events into the landing store (EPISERVER_RECEIVER_* settings)",
    )
    parser.add_argument("--host", help="address to listen on (default EPISERVER_RECEIVER_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (default EPISERVER_RECEIVER_PORT)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..receiver.config import ReceiverConfig
    from ..receiver.server import serve

    config = ReceiverConfig.from_settings(args.settings)
    overrides = {name: getattr(args, name) for name in ("host", "port") if getattr(args, name) is not None}
    serve(dataclasses.replace(config, **overrides))
    return 0
