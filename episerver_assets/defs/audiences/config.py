"""Audiences as code: a YAML file, path in EPISERVER_AUDIENCES_CONFIG (default: the sandbox's).

```yaml
audiences:
  - name: Engaged openers          # shown in the UI
    slug: engaged_openers          # the audience's key in the warehouse: a-z, 0-9, _, unique
    description: Opened at least twice, never bounced hard
    filter: opens >= 2 AND hard_bounces = 0
```

A filter is one SQL condition over `profiles.user_profiles` (`profile.<column>`) full-outer-joined
with `crm.contacts` (`contact.<column>`) on the lower-cased e-mail (filters.py says what it may
contain). Every problem (unknown key, duplicate slug, refused filter) fails the load with one line
naming the file, the line and column, the audience and the offending token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...settings import setting_value
from ..campaign.yaml_locations import YamlFileError, position_of, read_yaml
from .columns import FILTER_COLUMNS
from .filters import CheckedFilter, FilterError, check_filter

SETTING = "EPISERVER_AUDIENCES_CONFIG"
SANDBOX_AUDIENCES = Path(__file__).parent / "sandbox_audiences.yaml"


class AudiencesConfigError(ValueError):
    """The file cannot be used; the message is one line naming file, position, audience and token."""


class AudienceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    slug: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    description: str = ""
    filter: str = Field(min_length=1)


class AudiencesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    audiences: list[AudienceEntry]


class Audience(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    slug: str
    description: str
    filter: CheckedFilter


def config_path() -> Path:
    return Path(setting_value(SETTING) or SANDBOX_AUDIENCES)


def _filter_position(text: str, index: int, entry: AudienceEntry, error: FilterError) -> tuple[int, int]:
    """Line and column of the offending token in the file: its occurrence in the filter's source text
    (the YAML value as written, in any scalar style), else the start of the value."""
    audiences = next(v for k, v in yaml.compose(text).value if k.value == "audiences")
    value = next(v for k, v in audiences.value[index].value if k.value == "filter")
    source = text[value.start_mark.index:value.end_mark.index]
    found = -1
    if error.offset is not None and error.token:
        nth = entry.filter.lower().count(error.token.lower(), 0, error.offset)
        for _ in range(nth + 1):
            found = source.lower().find(error.token.lower(), found + 1)
            if found < 0:
                break
    at = value.start_mark.index + max(found, 0)
    line_start = text.rfind("\n", 0, at) + 1
    return text.count("\n", 0, at) + 1, at - line_start + 1


def _read(path: Path) -> tuple[str, Any]:
    try:
        return read_yaml(path, SETTING)
    except YamlFileError as error:
        raise AudiencesConfigError(str(error)) from None


def _validated(path: Path, text: str, data: Any) -> AudiencesFile:
    try:
        return AudiencesFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        line, column = position_of(text, first["loc"])
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise AudiencesConfigError(f"{path}, line {line}, column {column}: {key}: {first['msg']}") from None


def _unique(path: Path, text: str, entries: list[AudienceEntry]) -> None:
    for field in ("slug", "name"):
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            value = getattr(entry, field)
            if value in seen:
                line, column = position_of(text, ("audiences", index, field))
                raise AudiencesConfigError(f"{path}, line {line}, column {column}: audience {entry.slug}: "
                                           f"{field} {value!r} is used by an earlier audience")
            seen.add(value)


def load_audiences(path: Path | str | None = None) -> list[Audience]:
    """Read and check the file (default: EPISERVER_AUDIENCES_CONFIG); AudiencesConfigError if unusable."""
    path = Path(path) if path is not None else config_path()
    text, data = _read(path)
    entries = _validated(path, text, data).audiences
    _unique(path, text, entries)
    audiences = []
    for index, entry in enumerate(entries):
        try:
            checked = check_filter(entry.filter, FILTER_COLUMNS)
        except FilterError as error:
            line, column = _filter_position(text, index, entry, error)
            raise AudiencesConfigError(f"{path}, line {line}, column {column}: audience {entry.slug}: filter: "
                                       f"{error.problem} (at {error.token!r})") from None
        audiences.append(Audience(name=entry.name, slug=entry.slug, description=entry.description,
                                  filter=checked))
    return audiences
