"""Audience exports as code: a YAML file, path in EPISERVER_EXPORTS_CONFIG (default: the sandbox's).

```yaml
exports:
  - name: newsletter_engaged          # the assets exports/<name>_plan and exports/<name>_apply
    audiences: [engaged_openers, recent_clickers]   # slugs of EPISERVER_AUDIENCES_CONFIG, in this order
    recipient_list_id: 58001000998
    identifier: email                 # profile column sent as the recipient id (email: the member's address)
    membership_field: audiences       # optional list field: the names of the exported audiences held
    separator: ", "                   # between those names (default ", ")
    field_mapping:                    # optional: profile column -> list field
      ep_lastclick_ts: lastclick
    exit: update_field                # or remove_when_no_audience_left
    max_change_share: 0.2             # a plan changing more of the list is refused unless confirmed
    max_attempts: 5                   # a rejected row is retried on later runs, then marked permanent
    retry_backoff_minutes: 60         # first retry after this, doubling
    full_compare_every_hours: 24      # plans compare only changed members, and every member this often
```

Every problem (unknown key or audience, unknown profile column, duplicate name, a mapping onto the
identifier or the membership field) fails the load with one line naming the file, line and column.
The list's fields are checked against Campaign when a plan is made.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...settings import setting_value
from ..audiences.columns import FILTER_COLUMNS
from ..campaign.yaml_locations import YamlFileError, position_of, read_yaml

SETTING = "EPISERVER_EXPORTS_CONFIG"
SANDBOX_EXPORTS = Path(__file__).parent / "sandbox_exports.yaml"


class ExportsConfigError(ValueError):
    """The file cannot be used; the message is one line naming file, position and export."""


class ExitBehaviour(StrEnum):
    UPDATE_FIELD = "update_field"
    """Seed 000: a member who leaves keeps the recipient; the membership field lists the audiences still held."""
    REMOVE_WHEN_NO_AUDIENCE_LEFT = "remove_when_no_audience_left"
    """Mirror: a member in none of the exported audiences is removed, if this export added the recipient."""


class Export(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    audiences: tuple[str, ...] = Field(min_length=1)
    recipient_list_id: int = Field(gt=0)
    identifier: str = "email"
    membership_field: str | None = None
    separator: str = Field(default=", ", min_length=1)
    field_mapping: dict[str, str] = Field(default_factory=dict)
    exit: ExitBehaviour = ExitBehaviour.UPDATE_FIELD
    max_change_share: float = Field(default=0.2, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_backoff_minutes: float = Field(default=60.0, ge=0)
    full_compare_every_hours: float = Field(default=24.0, gt=0)

    def list_fields_written(self) -> list[str]:
        """Every list field a plan may set, in a stable order (membership first)."""
        return ([self.membership_field] if self.membership_field else []) + list(self.field_mapping.values())


class ExportsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exports: list[Export]


def config_path() -> Path:
    return Path(setting_value(SETTING) or SANDBOX_EXPORTS)


def _fail(path: Path, text: str, location: tuple, message: str) -> ExportsConfigError:
    line, column = position_of(text, location)
    return ExportsConfigError(f"{path}, line {line}, column {column}: {message}")


def _checked(path: Path, text: str, index: int, export: Export, audience_slugs: set[str]) -> None:
    where = ("exports", index)
    profile_columns = FILTER_COLUMNS["profile"]
    seen: set[str] = set()
    for position, slug in enumerate(export.audiences):
        if slug not in audience_slugs:
            raise _fail(path, text, (*where, "audiences", position),
                        f"export {export.name}: unknown audience {slug!r} (known: {', '.join(sorted(audience_slugs))})")
        if slug in seen:
            raise _fail(path, text, (*where, "audiences", position), f"export {export.name}: audience {slug!r} twice")
        seen.add(slug)
    if export.identifier != "email" and export.identifier not in profile_columns:
        raise _fail(path, text, (*where, "identifier"),
                    f"export {export.name}: identifier {export.identifier!r} is not a profiles.user_profiles column")
    targets: set[str] = set()
    for column, field in export.field_mapping.items():
        if column not in profile_columns:
            raise _fail(path, text, (*where, "field_mapping", column),
                        f"export {export.name}: field_mapping: {column!r} is not a profiles.user_profiles column")
        if field == export.membership_field or field in targets:
            raise _fail(path, text, (*where, "field_mapping", column),
                        f"export {export.name}: field_mapping: list field {field!r} is written twice")
        targets.add(field)


def load_exports(path: Path | str | None = None, audience_slugs: set[str] | None = None) -> list[Export]:
    """Read and check the file (default: EPISERVER_EXPORTS_CONFIG); ExportsConfigError if unusable.

    `audience_slugs` defaults to the audiences of EPISERVER_AUDIENCES_CONFIG."""
    path = Path(path) if path is not None else config_path()
    if audience_slugs is None:
        from ..audiences.config import load_audiences

        audience_slugs = {a.slug for a in load_audiences()}
    try:
        text, data = read_yaml(path, SETTING)
    except YamlFileError as error:
        raise ExportsConfigError(str(error)) from None
    try:
        exports = ExportsFile.model_validate(data if data is not None else {"exports": []}).exports
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise _fail(path, text, first["loc"], f"{key}: {first['msg']}") from None
    names: set[str] = set()
    for index, export in enumerate(exports):
        if export.name in names:
            raise _fail(path, text, ("exports", index, "name"), f"export name {export.name!r} is used twice")
        names.add(export.name)
        _checked(path, text, index, export, audience_slugs)
    return exports

