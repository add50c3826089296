"""The recipients import's configuration: a YAML file, path in EPISERVER_RECIPIENTS_CONFIG.

```yaml
lists:                     # the Campaign recipient lists to import (ids), at least one
  - id: 58001000000
    attributes: [salutation, firstname]   # this list's fields to import (replaces the global choice)
  - 58001000001            # a bare id takes the global choice
attributes: [firstname]    # fields imported from every list without its own `attributes`
keep_active: true          # daily incremental imports; false: the schedule imports once and stops
full_pass_every_days: 7    # how often a pass reads whole lists to mark deleted recipients
```

As the seed says, fields nobody chose are not imported: with no `attributes` anywhere the table has
the seed's fixed columns only. Each chosen field becomes a text column `attr_<safe name>`
(`attribute_columns.py`); fields that would share a column are refused. Unknown keys are refused too,
so a misspelt `keep_activ` fails instead of silently meaning false. Any error names the file, the
line and column, and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ...settings import setting_value
from .attribute_columns import column_mapping, safe_column_name
from .yaml_locations import YamlFileError, position_of, read_yaml

SETTING = "EPISERVER_RECIPIENTS_CONFIG"


class RecipientsConfigError(ValueError):
    """The configuration file cannot be used; the message is one line naming file, position and key."""


class LocatedError(ValueError):
    """A problem found across keys, with the location of the key that caused it."""

    def __init__(self, message: str, location: tuple[Any, ...]):
        super().__init__(message)
        self.location = location


def _checked_names(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    cleaned = [name.strip() for name in names]
    if any(not name for name in cleaned):
        raise ValueError("attribute names must not be empty")
    duplicates = sorted({name for name in cleaned if cleaned.count(name) > 1})
    if duplicates:
        raise ValueError(f"attributes named twice: {', '.join(duplicates)}")
    for name in cleaned:
        safe_column_name(name)
    return cleaned


class ListSelection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(gt=0, description="Campaign recipient list id")
    attributes: list[str] | None = Field(default=None, description="this list's fields; None: the global choice")

    valid_names = field_validator("attributes")(_checked_names)


class RecipientsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lists: list[ListSelection] = Field(min_length=1)
    attributes: list[str] = Field(default_factory=list)
    keep_active: bool = False
    full_pass_every_days: int = Field(default=7, ge=1, le=366)

    valid_names = field_validator("attributes")(_checked_names)

    @field_validator("lists", mode="before")
    @classmethod
    def _bare_ids(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
        return value

    @field_validator("lists")
    @classmethod
    def _distinct_lists(cls, lists: list[ListSelection]) -> list[ListSelection]:
        ids = [selection.id for selection in lists]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"lists named twice: {', '.join(map(str, repeated))}")
        return lists

    @model_validator(mode="after")
    def _one_column_per_field(self) -> RecipientsConfig:
        chosen: list[str] = []
        for index, selection in enumerate(self.lists):
            own = selection.attributes is not None
            for position, name in enumerate(self.attributes_of(selection.id)):
                chosen.append(name)
                try:
                    column_mapping(chosen)
                except ValueError as error:
                    where = ("lists", index, "attributes", position) if own else ("attributes", position)
                    raise LocatedError(str(error), where) from None
        return self

    def attributes_of(self, list_id: int) -> list[str]:
        selection = next(s for s in self.lists if s.id == list_id)
        return list(self.attributes if selection.attributes is None else selection.attributes)

    def columns(self) -> dict[str, str]:
        """Every chosen field -> its column (`attr_...`)."""
        return column_mapping([name for selection in self.lists for name in self.attributes_of(selection.id)])


def config_path() -> Path:
    return Path(setting_value(SETTING))


def _key(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def load_recipients_config(path: Path | str | None = None) -> RecipientsConfig:
    """Read and validate the file (default: EPISERVER_RECIPIENTS_CONFIG); RecipientsConfigError if unusable."""
    path = Path(path) if path is not None else config_path()
    try:
        text, data = read_yaml(path, SETTING)
    except YamlFileError as error:
        raise RecipientsConfigError(str(error)) from None
    if not isinstance(data, dict):
        raise RecipientsConfigError(f"{path}: expected a mapping with at least `lists`, got "
                                    f"{'an empty file' if data is None else type(data).__name__}")
    try:
        return RecipientsConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        cause = first.get("ctx", {}).get("error")
        location = cause.location if isinstance(cause, LocatedError) else first["loc"]
        line, column = position_of(text, location)
        more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise RecipientsConfigError(
            f"{path}, line {line}, column {column}: {_key(location)}: {message}{more}"
        ) from None
