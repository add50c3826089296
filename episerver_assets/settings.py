"""Every setting of episerver-assets, read and validated in one place.

`load_settings()` reads all EPISERVER_* variables, checks each one (and how they fit together) and
raises `SettingError` naming the first bad variable; the CLI calls it once before doing anything,
and the code location when it builds its resources. Unset variables take the local sandbox's
defaults, which live here and nowhere else. Secrets set in the environment reach resources as
`dg.EnvVar` references, so the Dagster UI shows their names, never their values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from . import setting_kinds as kinds
from .redaction import mask_passwords

SANDBOX_HOST = "127.0.0.1"
SANDBOX_HTTP_PORT = 8765
SANDBOX_SFTP_PORT = 8022
SANDBOX_CLIENT_ID = 1000
SANDBOX_API_USER = "sandbox-api"
SANDBOX_PASSWORD = "sandbox-secret"
SANDBOX_SFTP_USER = "sandbox"
SANDBOX_REST_URL = f"http://{SANDBOX_HOST}:{SANDBOX_HTTP_PORT}/rest"
SANDBOX_SOAP_URL = f"http://{SANDBOX_HOST}:{SANDBOX_HTTP_PORT}/soap11"
SANDBOX_ENRICHMENT_CLIENT_ID, SANDBOX_ENRICHMENT_SECRET = "sandbox-enrichment", "sandbox-enrichment-secret"

Default = str | None | Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Setting:
    name: str
    parse: kinds.Parser
    default: Default
    help: str
    secret: bool = False


class SettingError(ValueError):
    """A setting that cannot work; the message is one line naming the variable and the problem."""

    def __init__(self, name: str, problem: str) -> None:
        self.name, self.problem = name, problem
        super().__init__(f"{name} {problem}")


def _data_path(values: Mapping[str, Any], *parts: str) -> str:
    return str(Path(values["EPISERVER_DATA_DIR"]).resolve().joinpath(*parts))


def _sandbox_known_hosts(values: Mapping[str, Any]) -> str | None:
    """The sandbox's known_hosts, only while the SFTP host is the sandbox's (EPISERVER_SFTP_HOST unset)."""
    if values["EPISERVER_SFTP_HOST"] is None and values["EPISERVER_SFTP_HOST_KEY_FINGERPRINT"] is None:
        return _data_path(values, "sandbox", "known_hosts")
    return None


def _receiver_auth_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in ("basic", "key"):
        raise ValueError(f"must be basic (HTTP Basic user and secret) or key (secret in a header), got {value!r}")
    return mode


def _pgp_private_key(value: str) -> str:
    from .pgp.armor import private_key_setting

    return private_key_setting(value)


def _pgp_passphrase(value: str) -> str:
    from .pgp.armor import passphrase_setting

    return passphrase_setting(value)


def _pgp_public_key(value: str) -> str:
    from .pgp.armor import public_key_setting

    return public_key_setting(value)


def _event_types(value: str) -> tuple[str, ...]:
    from .campaign.rest.webhooks import WEBHOOK_TYPES

    chosen = tuple(dict.fromkeys(t.strip().lower() for t in value.split(",") if t.strip()))
    unknown = [t for t in chosen if t not in WEBHOOK_TYPES]
    if unknown:
        raise ValueError(f"names unknown event types {', '.join(unknown)}; known: {', '.join(WEBHOOK_TYPES)}")
    return chosen


def _receiver_public_url(values: Mapping[str, Any]) -> str:
    return f"http://{values['EPISERVER_RECEIVER_HOST']}:{values['EPISERVER_RECEIVER_PORT']}/events"


def _landing_store_url(value: str) -> str:
    if not value.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
        raise ValueError(f"must be sqlite:///path.sqlite3 or postgresql://..., got {mask_passwords(value)!r}")
    return value


_REGISTRY = (
    Setting("EPISERVER_DATA_DIR", kinds.text, "data", "directory of the embedded warehouse and the sandbox's files"),
    Setting("EPISERVER_WAREHOUSE_URL", kinds.warehouse_url,
            lambda v: f"duckdb:///{_data_path(v, 'warehouse.duckdb')}",
            "duckdb:///path.duckdb (embedded) or postgresql://user:password@host/db", secret=True),
    Setting("EPISERVER_DUCKDB_MEMORY_LIMIT", kinds.memory_size, "512MB",
            "memory the embedded warehouse may use before spilling to disk (DuckDB memory_limit)"),
    Setting("EPISERVER_PROFILES_DUCKDB_MEMORY_LIMIT", kinds.memory_size, "4GB",
            "memory the embedded warehouse may use during a user profiles build (DuckDB memory_limit)"),
    Setting("EPISERVER_REST_URL", kinds.http_url, SANDBOX_REST_URL,
            "Campaign REST base URL"),
    Setting("EPISERVER_SOAP_URL", kinds.http_url, SANDBOX_SOAP_URL,
            "Campaign SOAP base URL"),
    Setting("EPISERVER_CLIENT_ID", kinds.client_id, str(SANDBOX_CLIENT_ID), "Campaign client id"),
    Setting("EPISERVER_API_USER", kinds.text, SANDBOX_API_USER, "API user (REST and SOAP)"),
    Setting("EPISERVER_API_PASSWORD", kinds.text, SANDBOX_PASSWORD, "API user's password", secret=True),
    Setting("EPISERVER_SOAP_BATCH_SIZE", kinds.int_between(1, 10000), "1000", "recipients per SOAP addAll3 call"),
    Setting("EPISERVER_SOAP_READ_TIMEOUT", kinds.positive_seconds, "300", "seconds a SOAP call may take"),
    Setting("EPISERVER_SFTP_HOST", kinds.text, None, f"closed-loop SFTP host (unset: the sandbox on {SANDBOX_HOST})"),
    Setting("EPISERVER_SFTP_PORT", kinds.port, str(SANDBOX_SFTP_PORT), "SFTP port"),
    Setting("EPISERVER_SFTP_USER", kinds.text, SANDBOX_SFTP_USER, "SFTP account"),
    Setting("EPISERVER_SFTP_PRIVATE_KEY", kinds.text, None, "private key file for SFTP key auth"),
    Setting("EPISERVER_SFTP_PRIVATE_KEY_PASSPHRASE", kinds.text, None, "passphrase of that key", secret=True),
    Setting("EPISERVER_SFTP_PASSWORD", kinds.text,
            lambda v: None if v["EPISERVER_SFTP_PRIVATE_KEY"] else SANDBOX_PASSWORD, "SFTP password", secret=True),
    Setting("EPISERVER_SFTP_HOST_KEY_FINGERPRINT", kinds.fingerprint, None, "pinned SFTP host key (SHA256:...)"),
    Setting("EPISERVER_SFTP_KNOWN_HOSTS", kinds.text, _sandbox_known_hosts, "known_hosts file of the SFTP server"),
    Setting("EPISERVER_SFTP_RESPONSE_DIR", kinds.text, "response", "remote directory of the response files"),
    Setting("EPISERVER_SFTP_UPLOAD_DIR", kinds.text, "upload", "remote directory for recipient uploads"),
    Setting("EPISERVER_CLOSED_LOOP_START_DATE", kinds.iso_date, "2026-01-01", "first closed-loop partition"),
    Setting("EPISERVER_PREVIEW_PERSONAL_DATA", kinds.boolean, "false",
            "show e-mail addresses and names in row previews (Dagster UI)"),
    Setting("EPISERVER_RECEIVER_HOST", kinds.text, "127.0.0.1", "address the webhook receiver listens on"),
    Setting("EPISERVER_RECEIVER_PORT", kinds.port, "8780", "port the webhook receiver listens on"),
    Setting("EPISERVER_RECEIVER_AUTH", _receiver_auth_mode, "basic", "webhook receiver auth: basic or key"),
    Setting("EPISERVER_RECEIVER_USER", kinds.text, "campaign-webhook", "HTTP Basic user the receiver expects"),
    Setting("EPISERVER_RECEIVER_KEY_HEADER", kinds.text, "X-Api-Key", "header carrying the secret in key mode"),
    Setting("EPISERVER_RECEIVER_SECRET", kinds.text, "receiver-secret",
            "webhook receiver's password (basic) or key (key mode)", secret=True),
    Setting("EPISERVER_RECEIVER_STORE_URL", _landing_store_url,
            lambda v: f"sqlite:///{_data_path(v, 'receiver', 'landing.sqlite3')}",
            "landing store: sqlite:///path.sqlite3 (local, WAL) or postgresql://user:password@host/db", secret=True),
    Setting("EPISERVER_RECEIVER_MAX_BODY_BYTES", kinds.int_between(1024, 100 * 1024 * 1024), "1048576",
            "largest request body the receiver accepts, in bytes"),
    Setting("EPISERVER_RECEIVER_MAX_EVENTS", kinds.int_between(1, 100000), "1000",
            "most events the receiver accepts in one array"),
    Setting("EPISERVER_RECEIVER_BODY_TIMEOUT_SECONDS", kinds.int_between(1, 3600), "30",
            "seconds a sender may take to deliver a request body before the receiver answers 408 and closes"),
    Setting("EPISERVER_RECEIVER_PUBLIC_URL", kinds.http_url, _receiver_public_url,
            "URL Campaign posts webhook events to (default: the receiver's own address + /events)"),
    Setting("EPISERVER_ACTIVITY_EVENT_TYPES", _event_types, "",
            "comma-separated webhook event types to register and keep (empty: all)"),
    Setting("EPISERVER_AUDIENCES_CONFIG", kinds.text,
            lambda v: str(Path(__file__).parent / "defs" / "audiences" / "sandbox_audiences.yaml"),
            "YAML file defining the audiences: name, slug, description and a SQL filter over profile.<column> "
            "and contact.<column> (user profiles joined with the CRM contacts on the lower-cased e-mail)"),
    Setting("EPISERVER_EXPORTS_CONFIG", kinds.text,
            lambda v: str(Path(__file__).parent / "defs" / "exports" / "sandbox_exports.yaml"),
            "YAML file defining the audience exports: audiences, recipient list, identifier, membership field, "
            "field mapping, exit behaviour and the plan's limits"),
    Setting("EPISERVER_PGP_PRIVATE_KEY", _pgp_private_key, None,
            "ASCII-armored PGP private key that decrypts response files delivered as .pgp/.gpg/.asc "
            "(and signs uploads with EPISERVER_PGP_SIGN)", secret=True),
    Setting("EPISERVER_PGP_PRIVATE_KEY_PASSPHRASE", _pgp_passphrase, None,
            "passphrase of that private key (unset if it has none)", secret=True),
    Setting("EPISERVER_PGP_PUBLIC_KEY", _pgp_public_key, None,
            "ASCII-armored PGP public key: when set, uploaded subscriber files are encrypted to it"),
    Setting("EPISERVER_PGP_SIGN", kinds.boolean, "false", "sign encrypted uploads with EPISERVER_PGP_PRIVATE_KEY"),
    Setting("EPISERVER_RECIPIENTS_CONFIG", kinds.text,
            lambda v: str(Path(__file__).parent / "defs" / "campaign" / "sandbox_recipients.yaml"),
            "YAML file naming the recipient lists and attributes to import"),
    Setting("EPISERVER_ENRICHMENTS_CONFIG", kinds.text,
            lambda v: str(Path(__file__).parent / "defs" / "enrichment" / "sandbox_enrichments.yaml"),
            "YAML file defining the webhook user enrichments (source audience, OAuth2, template, mapping)"),
    Setting("EPISERVER_ENRICHMENT_SANDBOX_URL", kinds.http_url,
            f"http://{SANDBOX_HOST}:{SANDBOX_HTTP_PORT}/enrichment",
            "the sandbox's enrichment service (${EPISERVER_ENRICHMENT_SANDBOX_URL} in the sandbox enrichments file)"),
    Setting("EPISERVER_ENRICHMENT_SANDBOX_SECRET", kinds.text, SANDBOX_ENRICHMENT_SECRET,
            "client secret of the sandbox's enrichment service", secret=True),
    Setting("EPISERVER_NOTIFICATIONS_CONFIG", kinds.text, None,
            "YAML file of notification templates and sinks (unset: the run log, built-in templates)"),
)
SETTINGS: dict[str, Setting] = {s.name: s for s in _REGISTRY}


@dataclass(frozen=True)
class Settings:
    """The validated values (typed; None where unset without default) and which ones the user set."""

    values: Mapping[str, Any]
    explicit: frozenset[str]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def is_default(self, name: str) -> bool:
        return name not in self.explicit

    def config(self, name: str) -> Any:
        """For resource fields: a secret the user set stays a `dg.EnvVar`, anything else its value."""
        if SETTINGS[name].secret and name in self.explicit:
            return dg.EnvVar(name)
        return self.values[name]

    def shown(self, name: str) -> str:
        """The value as `doctor` prints it: secrets as ****, URLs with their password masked."""
        value = self.values.get(name)
        if value is None:
            return "(not set)"
        if isinstance(value, bool):
            return str(value).lower()
        if SETTINGS[name].secret and "://" not in str(value):
            return "****"
        return mask_passwords(value)


def _parse(setting: Setting, raw: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as error:
        raise SettingError(setting.name, str(error)) from None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raises SettingError for the first one that cannot work."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    explicit = frozenset(s.name for s in _REGISTRY if env.get(s.name))
    for setting in _REGISTRY:
        if setting.name in explicit:
            values[setting.name] = _parse(setting, env[setting.name])
        elif callable(setting.default):
            values[setting.name] = setting.default(values)
        else:
            values[setting.name] = None if setting.default is None else _parse(setting, setting.default)
    _check_host_key_verification(values)
    if values["EPISERVER_PGP_SIGN"] and not values["EPISERVER_PGP_PRIVATE_KEY"]:
        raise SettingError("EPISERVER_PGP_SIGN", "is true but EPISERVER_PGP_PRIVATE_KEY (the signing key) is not set")
    return Settings(values, explicit)


def _check_host_key_verification(values: Mapping[str, Any]) -> None:
    if values["EPISERVER_SFTP_HOST"] and not (
        values["EPISERVER_SFTP_KNOWN_HOSTS"] or values["EPISERVER_SFTP_HOST_KEY_FINGERPRINT"]
    ):
        raise SettingError(
            "EPISERVER_SFTP_HOST",
            "is set, so the sandbox's known_hosts does not apply: set EPISERVER_SFTP_KNOWN_HOSTS (a known_hosts "
            "file) or EPISERVER_SFTP_HOST_KEY_FINGERPRINT (SHA256:... as ssh-keygen -lf prints it)",
        )


def setting_value(name: str, default: str = "") -> str:
    """One setting's text, validated alone (SettingError if it cannot work), else its default's text.

    For code outside resource config (partitions, previews, sensors): "false"/"true" for
    EPISERVER_PREVIEW_PERSONAL_DATA, YYYY-MM-DD for dates. Unknown names read the raw environment.
    """
    raw = os.environ.get(name)
    setting = SETTINGS.get(name)
    if setting is None:
        return raw or default
    if raw:
        _parse(setting, raw)
        return raw
    if callable(setting.default):
        value = load_settings()[name]
        return default if value is None else str(value)
    return default if setting.default is None else setting.default


def data_dir() -> Path:
    """EPISERVER_DATA_DIR (default ./data): the embedded warehouse and the sandboxes' files."""
    return Path(setting_value("EPISERVER_DATA_DIR"))


def sandbox_data_dir() -> Path:
    """Where `episerver-assets sandbox` keeps its files by default; the code location's defaults point here."""
    return data_dir() / "sandbox"


def resolved(value):
    """The value behind a `dg.EnvVar` for code that uses a resource outside a Dagster run (CLI, sensors)."""
    return value.get_value() if isinstance(value, dg.EnvVar) else value
