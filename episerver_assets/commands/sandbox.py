"""`episerver-assets sandbox`: run the local Campaign until interrupted."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
from pathlib import Path

from ..sandbox.generator import SCALES
from ..settings import SANDBOX_CLIENT_ID, SANDBOX_HOST, SANDBOX_HTTP_PORT, SANDBOX_SFTP_PORT, sandbox_data_dir
from .failures import UserFacingError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the local Optimizely Campaign sandbox (REST, SOAP, SFTP, webhooks) until interrupted",
        description="Prints one JSON line with the connection facts and an `env` object once every server listens.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="default: $EPISERVER_DATA_DIR/sandbox")
    parser.add_argument("--seed", type=int, default=7, help="same seed and scale, same data")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--http-port", type=int, default=SANDBOX_HTTP_PORT, help="REST and SOAP; 0 picks a free port")
    parser.add_argument("--sftp-port", type=int, default=SANDBOX_SFTP_PORT, help="0 picks a free port")
    parser.add_argument("--clients", type=int, nargs="+", default=[SANDBOX_CLIENT_ID], metavar="CLIENT_ID",
                        help="client ids; with several, each has its own SFTP sub-directory")
    parser.add_argument("--days", type=int, default=7, help="days of response files to generate")
    parser.add_argument("--import-interval", type=float, default=600.0,
                        help="seconds between scans of the upload directory (Campaign: 10 minutes)")
    parser.add_argument("--session-ttl", type=float, default=1200.0, help="SOAP session lifetime in seconds")
    parser.set_defaults(run=run)


def _ensure_free(port: int, option: str) -> None:
    """A taken port ends the command in one line, before any data is generated."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no conflict
        try:
            probe.bind((SANDBOX_HOST, port))
        except OSError as error:
            raise UserFacingError(
                f"{option} {port}: {SANDBOX_HOST}:{port} is in use ({error.strerror}); is a sandbox already "
                f"running there? Stop it, or pass {option} 0 for a free port"
            ) from None


def run(args: argparse.Namespace) -> int:
    from ..sandbox.server import Sandbox, SandboxConfig

    _ensure_free(args.http_port, "--http-port")
    _ensure_free(args.sftp_port, "--sftp-port")

    config = SandboxConfig(
        data_dir=args.data_dir or sandbox_data_dir(),
        seed=args.seed,
        scale=args.scale,
        http_port=args.http_port,
        sftp_port=args.sftp_port,
        client_ids=args.clients,
        response_days=args.days,
        import_interval_seconds=args.import_interval,
        session_ttl_seconds=args.session_ttl,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Sandbox(config) as sandbox:
        print(json.dumps(sandbox.info()), flush=True)
        stop.wait()
    print("sandbox stopped", file=sys.stderr)
    return 0
