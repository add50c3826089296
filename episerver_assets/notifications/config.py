"""The notifications configuration: a YAML file, path in EPISERVER_NOTIFICATIONS_CONFIG.

```yaml
templates:                      # per event kind (events.py); a kind not named keeps the built-in one
  clear_refused:
    subject: "CRM refresh: list {{ .recipient_list_id }} was not cleared"
    body: "{{ if .error }}{{ .error }}{{ else }}no reason given{{ end }} (run {{ .run_id }})"
sinks:                          # unset: the run log only
  - type: run_log
  - type: webhook
    url: https://hooks.example.com/notify
    auth_env: EPISERVER_NOTIFY_WEBHOOK_AUTH   # variable holding the Authorization header's value
    kinds: [import_failed, clear_refused]     # unset: every kind
  - type: email
    host: smtp.example.com
    port: 587
    security: starttls            # starttls, ssl (SMTPS) or none
    sender: data-platform@example.com
    recipients: [crm-team@example.com]
    username_env: EPISERVER_SMTP_USER
    password_env: EPISERVER_SMTP_PASSWORD
```

Every template is parsed when the file loads; an error names the file, where the template is in it
(line, column, key) and where in the template the problem is. Unknown keys are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..defs.campaign.yaml_locations import YamlFileError, position_of, read_yaml
from .events import DEFAULT_TEMPLATES, EventKind
from .sink_email import EmailSink
from .sink_run_log import RunLogSink
from .sink_webhook import WebhookSink
from .templates import GoTemplate, TemplateError

SETTING = "EPISERVER_NOTIFICATIONS_CONFIG"
Sink = Annotated[RunLogSink | WebhookSink | EmailSink, Field(discriminator="type")]


class NotificationsConfigError(ValueError):
    """The configuration cannot be used; one line naming the file, the position and the key."""


class TemplateSources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str
    body: str = ""


class NotificationsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    templates: dict[EventKind, TemplateSources] = Field(default_factory=dict)
    sinks: list[Sink] = Field(default_factory=lambda: [RunLogSink()])

    def compiled(self) -> dict[EventKind, tuple[GoTemplate, GoTemplate]]:
        """Each kind's (subject, body) templates: the file's where it names the kind, else the built-in ones;
        TemplateError names the first that does not parse."""
        pairs = {}
        for kind in EventKind:
            sources = self.templates.get(kind)
            subject, body = (sources.subject, sources.body) if sources else DEFAULT_TEMPLATES[kind]
            pairs[kind] = (GoTemplate(f"{kind}.subject", subject), GoTemplate(f"{kind}.body", body))
        return pairs


def _key(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def load_notifications_config(path: Path | None) -> tuple[NotificationsConfig, dict]:
    """The file's configuration and its compiled templates; None: no file (the run log, built-in templates)."""
    if path is None:
        config = NotificationsConfig()
        return config, config.compiled()
    try:
        text, data = read_yaml(path, SETTING)
    except YamlFileError as error:
        raise NotificationsConfigError(str(error)) from None
    try:
        config = NotificationsConfig.model_validate(data if data is not None else {})
        return config, config.compiled()
    except TemplateError as error:
        kind, part = error.template_name.split(".")
        line, column = position_of(text, ["templates", kind, part])
        raise NotificationsConfigError(f"{path}, line {line}, column {column}: {error}") from None
    except ValidationError as error:
        problem = error.errors()[0]
        location = tuple(problem["loc"])
        if location[:1] == ("sinks",) and len(location) > 2:
            location = location[:2] + location[3:]  # pydantic names the sink's type after its index
        line, column = position_of(text, location)
        message = problem["msg"].removeprefix("Value error, ")
        raise NotificationsConfigError(f"{path}, line {line}, column {column}, {_key(location)}: {message}") from None
