"""An enrichments file against the running sandbox, and audience members to send, for the enrichment tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from episerver_assets.defs.audiences.tables import audience_members
from episerver_assets.defs.enrichment.config import Enrichment, load_enrichments
from episerver_assets.defs.enrichment.run import RunSummary, run_enrichment
from episerver_assets.defs.enrichment.tables import ledger, stream_table
from episerver_assets.defs.profiles.tables import user_profiles
from episerver_assets.warehouse import WarehouseResource

from .audiences_support import T0, profile

AUDIENCE = "email_without_uuid"
TEMPLATE = """local event = (import "lytemplates.libsonnet");
{
  "email": event.get("email", ""),
  "sourceCode": {"keyName": "tests"}
}
"""


def enrichments_file(directory: Path, **overrides) -> Path:
    """One enrichment `tests_uuid` of audience email_without_uuid against the sandbox (URL from the env)."""
    settings = {"existing_users": "true", "concurrency": 4, "rate_limit_per_second": 1000, "max_attempts": 3,
                "backoff_seconds": 0.01, "timeout_seconds": 5, **overrides}
    options = "\n".join(f"    {key}: {value}" for key, value in settings.items())
    template = "\n".join("      " + line for line in TEMPLATE.splitlines())
    path = directory / "enrichments.yaml"
    path.write_text(f"""enrichments:
  - slug: tests_uuid
    name: Tests UUID
    source_audience: {AUDIENCE}
    authorization:
      token_url: ${{EPISERVER_ENRICHMENT_SANDBOX_URL}}/oauth/token
      client_id: sandbox-enrichment
      client_secret_env: TESTS_ENRICHMENT_SECRET
      request_params:
        access_token: "{{token}}"
    url: ${{EPISERVER_ENRICHMENT_SANDBOX_URL}}/service/api/v2/user
    fields: [email]
    template: |
{template}
    stream: tests_users
    map:
      uuid: enrichment_uuid
{options}
""", encoding="utf-8")
    return path


def the_enrichment(path: Path) -> Enrichment:
    (enrichment,) = load_enrichments(path)
    return enrichment


def add_members(warehouse: WarehouseResource, emails: list[str], entered: dt.datetime = T0) -> None:
    """Profiles and members of the source audience, as the audiences asset would have left them."""
    warehouse.ensure_table(user_profiles, audience_members)
    with warehouse.begin() as connection:
        connection.execute(sa.insert(user_profiles), [profile(f"p-{email}", email) for email in emails])
        connection.execute(sa.insert(audience_members), [
            {"audience": AUDIENCE, "email": email, "person_id": f"p-{email}", "entered_at": entered}
            for email in emails])


def reenter(warehouse: WarehouseResource, email: str, entered: dt.datetime) -> None:
    with warehouse.begin() as connection:
        connection.execute(audience_members.update().where(audience_members.c.email == email)
                           .values(entered_at=entered))


def stream_rows(warehouse: WarehouseResource) -> list[sa.Row]:
    table = stream_table("tests_users", ["enrichment_uuid"])
    with warehouse.begin() as connection:
        return connection.execute(sa.select(table).order_by(table.c.email, table.c.received_at)).all()


def ledger_rows(warehouse: WarehouseResource) -> list[sa.Row]:
    with warehouse.begin() as connection:
        return connection.execute(sa.select(ledger).order_by(ledger.c.email, ledger.c.entered_at)).all()


def run(warehouse: WarehouseResource, enrichment: Enrichment, **options) -> RunSummary:
    return run_enrichment(warehouse, enrichment, **options)
