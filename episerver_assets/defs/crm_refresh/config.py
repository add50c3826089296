"""Run configuration of `crm_refresh/recipient_list_refresh`; the schedule reads it from a YAML file."""

from pathlib import Path

import dagster as dg
import yaml
from pydantic import Field, ValidationError

from ..crm.contacts import ENTITY_TYPES

SANDBOX_CONFIG = Path(__file__).with_name("sandbox_crm_refresh.yaml")

TECHNICAL_FIELDS = {
    "optin_id": "opt-in-id", "optin_description": "description", "media_type": "media-type",
    "entity_type": "entity-type", "entity_id": "entity-id",
}
"""The seed's technical fields, by CRM column, as the recipient list names them."""


class RecipientListRefreshConfig(dg.Config):
    recipient_list_id: int = Field(description="The Campaign recipient list the refresh replaces.")
    optin_id: int | None = Field(
        default=None, description="The one opt-in to select; unset, the selection must hold exactly one.")
    entity_types: list[str] = Field(default=list(ENTITY_TYPES), description="CRM entity types to select.")
    optin_process_id: int = Field(default=0, ge=0, description="addAll3's opt-in process; 0 means none.")
    fields: dict[str, str] = Field(
        default_factory=lambda: {**TECHNICAL_FIELDS, "salutation": "salutation", "first_name": "firstname",
                                 "last_name": "lastname"},
        description="CRM column -> list field sent with every recipient (the technical fields included).")
    max_shrink: float = Field(
        default=0.2, ge=0, le=1, description="Refuse to clear when the selection is this share smaller than "
                                             "the last successful refresh.")
    confirm: bool = Field(default=False, description="Clear even when the selection is empty or shrank.")


def run_config_from_yaml(path: Path, op_name: str) -> dict:
    """The job's run config for the refresh op from a YAML mapping of the config's fields."""
    with path.open(encoding="utf-8") as handle:
        values = yaml.safe_load(handle) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: line 1: expected a mapping of refresh settings")
    try:
        RecipientListRefreshConfig(**values)  # fail when the code location loads, not at 5 am
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ValueError(f"{path}: {problems}") from None
    return {"ops": {op_name: {"config": values}}}
