"""Render a notification and hand it to every sink that receives its kind; nothing here raises."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from ..settings import setting_value
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
        subject, body = self.templates[kind]
        try:
            return subject.render(fields), body.render(fields)
        except TemplateError as error:
            log.warning(f"notification {kind}: {error}; the built-in template is used instead")
            subject, body = _notifier_for("").templates[kind]
            return subject.render(fields), body.render(fields)

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
    return _notifier_for(setting_value(SETTING))


def notify(context: RunContext, kind: EventKind | str, fields: Mapping[str, object] | None = None) -> None:
    """Send a notification of `kind` with the run's fields plus `fields` (see the package docs).

    Raises ValueError for an unknown kind (a programming error) and nothing else: a notification that
    cannot be sent is logged, and the caller goes on to report its own outcome.
    """
    kind = EventKind(kind)
    try:
        notifier = current_notifier()
    except NotificationsConfigError as error:  # the file changed since the code location loaded
        context.log.error(f"notifications: {error}; notifying the run log only, with the built-in templates")
        notifier = _notifier_for("")
    try:
        notifier.notify(context, kind, fields or {})
    except Exception as error:  # a notification must never turn into the caller's failure
        context.log.warning(f"notification {kind} could not be sent: {type(error).__name__}")
