"""Run configuration of a closed-loop send."""

from __future__ import annotations

from typing import Optional

import dagster as dg
from pydantic import Field

from .recipients import PersonalisationField

SANDBOX_SOURCE_MAILING = 44001000000
"""The sandbox's first source mailing of client 1000 (it sends to list 58001000000)."""


class ClosedLoopSendConfig(dg.Config):
    send_id: Optional[str] = Field(
        default=None,
        description="Identifies the send: a run with a send id already uploaded only waits for its outcome. "
        "Default: the root run id, so a re-execution of a failed run continues the same send.",
    )
    broadmail_id: int = Field(default=SANDBOX_SOURCE_MAILING, description="Source mailing id (broadmail_ID).")
    wave_id: Optional[int] = Field(default=None, description="WAVE_ID written on every row (optional).")
    personalisation_fields: list[PersonalisationField] = Field(
        default=[], description="Columns after the fixed six, in this order, as agreed with Campaign."
    )
    rows: Optional[list[dict[str, str]]] = Field(
        default=None,
        description="Recipients given directly (keys: Email, Salutation, First name, Last name and the "
        "personalisation fields); without them every eligible profile of profiles.user_profiles.",
    )
    max_recipients: int = Field(default=10_000, description="Refuse a profile selection larger than this.")
    outcome_timeout_seconds: float = Field(
        default=1800.0, description="How long to wait for the server's log or error file (it imports every 10 min)."
    )
    poll_seconds: float = Field(default=15.0, description="Pause between two looks for the log or error file.")
