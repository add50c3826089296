"""The run log sink: the notification as a warning in the run's event log (the default sink)."""

from __future__ import annotations

from typing import Literal

import dagster as dg

from ..defs.closed_loop.personal_data import masked_text
from ..redaction import mask_passwords
from .sink_base import Notification, SinkConfig


class RunLogSink(SinkConfig):
    type: Literal["run_log"] = "run_log"

    def describe(self) -> str:
        return "the run log"

    def send(self, notification: Notification, log: dg.DagsterLogManager) -> None:
        """The event log is readable by every UI user and kept: e-mail addresses and passwords are masked."""
        text = f"notification {notification.kind}: {notification.subject}"
        if notification.body:
            text += f"\n{notification.body}"
        log.warning(masked_text(mask_passwords(text)))
