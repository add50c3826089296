"""Render a notification and hand it to every sink that receives its kind; nothing here raises."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from .config import SETTING, NotificationsConfig, NotificationsConfigError, load_notifications_config
from .events import EventKind, RunContext, run_fields
from .sink_base import Notification, SinkError
from .templates import GoTemplate, TemplateError


class Notifier:
    def __init__(self, config: NotificationsConfig, templates: dict[EventKind, tuple[GoTemplate, GoTemplate]]):
        self.config = config
        self.templates = templates

    def _render(self, log: dg.DagsterLogManager, kind: EventKind, fields: Mapping[str, object]) -> tuple[str, str]:
        """The configured templates' text; if they cannot render these fields, the built-in ones'."""
        try:
            return tuple(template.render(fields) for template in self.templates[kind])  # type: ignore[return-value]
        except TemplateError as error:
            log.warning(f"notification {kind}: {error}; the built-in template is used instead")
            builtin = NotificationsConfig().compiled()[kind]
            return tuple(template.render(fields) for template in builtin)  # type: ignore[return-value]

    def notify(self, context: RunContext, kind: EventKind, fields: Mapping[str, object]) -> None:
        run = run_fields(context, kind)
        subject, body = self._render(context.log, kind, {**run, **fields})
        notification = Notification(kind, subject, body, run)
        delivered = []
        for sink in self.config.sinks:
            if not sink.receives(kind):
                continue
            try:
                sink.send(notification, context.log)
                delivered.append(sink.describe())
            except SinkError as error:
                context.log.warning(f"notification {kind} not delivered: {error}")
            except Exception as error:  # a sink must never fail the asset that notified
                context.log.warning(f"notification {kind} not delivered: {sink.describe()}: {type(error).__name__}")
        if delivered and delivered != ["the run log"]:
            context.log.info(f"notification {kind} sent to {', '.join(delivered)}")


@functools.cache
def _notifier_for(path: str) -> Notifier:
    return Notifier(*load_notifications_config(Path(path) if path else None))


def current_notifier() -> Notifier:
    """The notifier of EPISERVER_NOTIFICATIONS_CONFIG, loaded once per path (NotificationsConfigError if broken)."""
    return _notifier_for(os.environ.get(SETTING, ""))


def notify(context: RunContext, kind: EventKind | str, fields: Mapping[str, object] | None = None) -> None:
    """Send a notification of `kind` with the run's fields plus `fields`; never raises (see the package docs)."""
    kind = EventKind(kind)
    try:
        notifier = current_notifier()
    except NotificationsConfigError as error:
        context.log.error(f"notifications: {error}; notifying the run log only, with the built-in templates")
        notifier = _notifier_for("")
    notifier.notify(context, kind, fields or {})
