"""Enrichments as code: a YAML file, path in EPISERVER_ENRICHMENTS_CONFIG (default: the sandbox's).

```yaml
enrichments:
  - slug: ansira_uuid                  # asset enrichment/<slug>; a-z, 0-9, _, unique
    name: Ansira UUID
    source_audience: email_without_uuid   # an audience slug (EPISERVER_AUDIENCES_CONFIG)
    authorization:                     # OAuth 2.0 client credentials grant
      token_url: https://XXXX.example.com/oauth/token
      client_id: my-client
      client_secret_env: ANSIRA_CLIENT_SECRET   # the NAME of the variable holding the secret
      request_params: {access_token: "{token}"} # added to every request; {token}: the access token
    url: https://XXXX.example.com/service/api/v2/user
    fields: [email]                    # profile fields the template may read
    template: |                        # Jsonnet, rendered per profile
      local event = (import "lytemplates.libsonnet");
      {email: event.get("email", ""), sourceCode: {keyName: "XXXX"}}
    stream: ansira_users               # answers land in enrichment.ansira_users
    map: {uuid: ansira_uuid}           # response field (dotted path) -> profile column
    existing_users: true               # false: only members entering from the first run on
```

Optional per enrichment: `concurrency` (8), `rate_limit_per_second` (50), `timeout_seconds` (10),
`max_response_bytes` (1 MiB), `max_attempts` (5), `backoff_seconds` (0.5), `max_retry_after_seconds`
(120). `${NAME}` in a URL is the environment variable NAME, read when the enrichment runs. Every
problem fails the load with one line naming the file, line, column and key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ...settings import setting_value
from ..campaign.yaml_locations import YamlFileError, position_of, read_yaml
from .config_models import Enrichment, EnrichmentConfigError, EnrichmentEntry, EnrichmentsFile
from .templates import TemplateError, check_template

__all__ = ["Enrichment", "EnrichmentConfigError", "check_source_audiences", "config_path", "load_enrichments"]

SETTING = "EPISERVER_ENRICHMENTS_CONFIG"
SANDBOX_ENRICHMENTS = Path(__file__).parent / "sandbox_enrichments.yaml"


def config_path() -> Path:
    return Path(setting_value(SETTING) or SANDBOX_ENRICHMENTS)


def _fail(path: Path, text: str, location: tuple, message: str) -> EnrichmentConfigError:
    line, column = position_of(text, location)
    key = ".".join(str(part) for part in location) or "(top level)"
    return EnrichmentConfigError(f"{path}, line {line}, column {column}: {key}: {message}")


def _validated(path: Path, text: str, data: Any) -> EnrichmentsFile:
    try:
        return EnrichmentsFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise _fail(path, text, tuple(first["loc"]), first["msg"]) from None


def _check_across(path: Path, text: str, entries: list[EnrichmentEntry], profile_columns: frozenset[str]) -> None:
    slugs: set[str] = set()
    columns: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if entry.slug in slugs:
            raise _fail(path, text, ("enrichments", index, "slug"), f"{entry.slug!r} is used by an earlier enrichment")
        slugs.add(entry.slug)
        for field, column in entry.map.items():
            if column in profile_columns:
                raise _fail(path, text, ("enrichments", index, "map", field),
                            f"{column} is already a column of profiles.user_profiles")
            if column in columns:
                raise _fail(path, text, ("enrichments", index, "map", field),
                            f"{column} is filled by enrichment {columns[column]} already")
            columns[column] = entry.slug
    readable = profile_columns | set(columns)
    for index, entry in enumerate(entries):
        unknown = [f for f in entry.fields if f not in readable]
        if unknown:
            raise _fail(path, text, ("enrichments", index, "fields"),
                        f"not profile columns: {', '.join(unknown)}")


def _read(path: Path) -> tuple[str, Any]:
    try:
        return read_yaml(path, SETTING)
    except YamlFileError as error:
        raise EnrichmentConfigError(str(error)) from None


@lru_cache(maxsize=8)
def _checked(path: Path, text: str, profile_columns: frozenset[str]) -> tuple[Enrichment, ...]:
    """Cached by content: the audiences and the profiles both read the file when the code location loads,
    and each template check costs Jsonnet ~70 ms."""
    entries = _validated(path, text, yaml.safe_load(text)).enrichments
    _check_across(path, text, entries, profile_columns)
    enrichments = []
    for index, entry in enumerate(entries):
        try:
            check_template(entry.slug, entry.template, entry.fields)
        except TemplateError as error:
            raise _fail(path, text, ("enrichments", index, "template"), str(error)) from None
        line, _ = position_of(text, ("enrichments", index))
        enrichments.append(Enrichment(**entry.model_dump(), path=str(path), line=line))
    return tuple(enrichments)


def load_enrichments(path: Path | str | None = None) -> tuple[Enrichment, ...]:
    """Read and check the file (default: EPISERVER_ENRICHMENTS_CONFIG); EnrichmentConfigError if unusable.
    Source audiences are checked by the assets, which know the audiences (`check_source_audiences`)."""
    from ..profiles.tables import user_profiles

    path = Path(path) if path is not None else config_path()
    text, _ = _read(path)
    return _checked(path, text, frozenset(c.name for c in user_profiles.columns))


def check_source_audiences(enrichments: tuple[Enrichment, ...], audience_slugs: set[str]) -> None:
    for enrichment in enrichments:
        if enrichment.source_audience not in audience_slugs:
            raise EnrichmentConfigError(
                f"{enrichment.path}, enrichment {enrichment.slug} (line {enrichment.line}): source_audience: "
                f"no audience {enrichment.source_audience!r} in the audiences file; known: "
                f"{', '.join(sorted(audience_slugs)) or '(none)'}")
