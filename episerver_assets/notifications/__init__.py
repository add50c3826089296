"""Notifications: a templated message to the run log, a webhook and e-mail when something needs a person.

Call it from an asset or op wherever the platform has something to tell:

```python
from episerver_assets.notifications import EventKind, notify

notify(context, EventKind.CLEAR_REFUSED, {"error": reason, "recipient_list_id": list_id})
```

`notify(context, kind, fields)` renders the kind's subject and body templates over the run's fields
plus `fields`, then sends them to every configured sink that receives the kind. It never fails the
caller for a notification problem: a sink that fails is logged as one warning line (no secrets, no
addresses, no URL path) and the others still get it; a template that cannot render these fields is
logged and the built-in template is used. Call it before raising the failure it reports.

Fields every notification has: `kind`, `run_id`, `job`, `asset` (its key; a multi-asset step's name and
count), `partition` (a key or `first...last`; empty when unpartitioned), `time` (UTC, ISO 8601). The
built-in templates also use these caller fields (others may be added and used by a configured template):
- `import_failed`: `error` (a summary without personal data), `failed` (files or lists), `days` (closed loop);
- `plan_refused`: `error` (why the plan was refused), `export` (its name), `recipient_list_id`;
- `clear_refused`: `error`, `recipient_list_id`, `selected`, `last_successful`;
- `enrichment_failing`: `error`, `failed` (profiles that failed); profile fields where there is one profile;
- `recipients_deleted`: `deleted` (recipients marked deleted), `lists` (the list ids).

Templates use Go's `text/template` syntax, as seed 001 does (`{{ .first_name }}`, `{{ if .x }}...{{ else
}}...{{ end }}`, `{{ .x | default "y" }}`, `and`, `or`, `not`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `len`,
`{{- -}}`, comments); `templates.py` says how they are rendered and `go_functions.py` which Go rules
apply. A missing field renders empty. The YAML file named by EPISERVER_NOTIFICATIONS_CONFIG chooses
templates and sinks (`config.py`); without it the run log gets the built-in templates. The file is read
when the code location loads, so a template that does not parse stops the load with its name and
position.
"""

from .config import NotificationsConfigError
from .events import EventKind
from .notifier import current_notifier, notify
from .templates import GoTemplate, TemplateError

__all__ = ["EventKind", "GoTemplate", "NotificationsConfigError", "TemplateError", "current_notifier", "notify"]
