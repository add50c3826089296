"""Load EPISERVER_NOTIFICATIONS_CONFIG with the code location, so that a broken file or a template that
does not parse stops the load, naming the file, the template and the position, instead of surfacing
only when something fails and needs a person."""

import dagster as dg

from ...notifications import current_notifier


@dg.definitions
def notifications_config() -> dg.Definitions:
    current_notifier()
    return dg.Definitions()
