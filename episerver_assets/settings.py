"""Environment settings of the code location: `dg.EnvVar` where a variable is set, sandbox defaults otherwise."""

from __future__ import annotations

import os

import dagster as dg

SANDBOX_HTTP_PORT = 8765
SANDBOX_SFTP_PORT = 8022
SANDBOX_CLIENT_ID = 1000
SANDBOX_API_USER = "sandbox-api"
SANDBOX_PASSWORD = "sandbox-secret"
SANDBOX_SFTP_USER = "sandbox"

DEFAULTS: dict[str, str] = {
    "EPISERVER_REST_URL": f"http://127.0.0.1:{SANDBOX_HTTP_PORT}/rest",
    "EPISERVER_SOAP_URL": f"http://127.0.0.1:{SANDBOX_HTTP_PORT}/soap11",
    "EPISERVER_CLIENT_ID": str(SANDBOX_CLIENT_ID),
    "EPISERVER_API_USER": SANDBOX_API_USER,
    "EPISERVER_API_PASSWORD": SANDBOX_PASSWORD,
    "EPISERVER_SFTP_HOST": "127.0.0.1",
    "EPISERVER_SFTP_PORT": str(SANDBOX_SFTP_PORT),
    "EPISERVER_SFTP_USER": SANDBOX_SFTP_USER,
    "EPISERVER_SFTP_PASSWORD": SANDBOX_PASSWORD,
    "EPISERVER_SFTP_RESPONSE_DIR": "response",
    "EPISERVER_SFTP_UPLOAD_DIR": "upload",
}


def setting(name: str, default: str = "") -> str | dg.EnvVar:
    """`dg.EnvVar(name)` when the variable is set, so the UI shows its name and never its value;
    otherwise the sandbox default."""
    if os.environ.get(name):
        return dg.EnvVar(name)
    return DEFAULTS.get(name, default)


def setting_value(name: str, default: str = "") -> str:
    """The plain value, for code that runs outside Dagster's resource config (CLI, sensors)."""
    return os.environ.get(name) or DEFAULTS.get(name, default)


def resolved(value):
    """The value behind a `dg.EnvVar` for code that uses a resource outside a Dagster run (CLI, sensors)."""
    return value.get_value() if isinstance(value, dg.EnvVar) else value
