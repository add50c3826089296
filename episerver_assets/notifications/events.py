"""What the platform notifies about, the fields every notification has, and the built-in templates."""

from __future__ import annotations

import datetime as dt
import enum

import dagster as dg

RunContext = dg.AssetExecutionContext | dg.OpExecutionContext


class EventKind(enum.StrEnum):
    IMPORT_FAILED = "import_failed"  # a closed-loop day or file, or a recipients import, failed
    PLAN_REFUSED = "plan_refused"  # an audience export refused its plan
    CLEAR_REFUSED = "clear_refused"  # the CRM refresh guard refused to clear a list
    ENRICHMENT_FAILING = "enrichment_failing"  # an enrichment keeps failing
    RECIPIENTS_DELETED = "recipients_deleted"  # a recipients import found recipients deleted in Campaign


_RUN = "Run {{ .run_id }} of {{ .job }} at {{ .time }}"
# kind -> (subject, body); the fields each kind's caller adds are listed in the package docstring
DEFAULT_TEMPLATES: dict[EventKind, tuple[str, str]] = {
    EventKind.IMPORT_FAILED: (
        "{{ .asset }}{{ if .partition }} {{ .partition }}{{ end }}: import failed",
        _RUN + ": {{ .error }}"),
    EventKind.PLAN_REFUSED: (
        "{{ .asset }}: plan refused{{ if .export }} for export {{ .export }}{{ end }}",
        _RUN + " refused the plan: {{ .error }}"),
    EventKind.CLEAR_REFUSED: (
        "{{ .asset }}: refused to clear recipient list {{ .recipient_list_id }}",
        _RUN + ": {{ .error }}"),
    EventKind.ENRICHMENT_FAILING: (
        "{{ .asset }}: enrichment keeps failing",
        _RUN + ": {{ .error }}{{ if .failed }} ({{ .failed }} profiles failed){{ end }}"),
    EventKind.RECIPIENTS_DELETED: (
        "{{ .asset }}: {{ .deleted }} recipients deleted in Campaign",
        _RUN + ": a full pass marked {{ .deleted }} recipients deleted{{ if .lists }} in lists {{ .lists }}{{ end }}"),
}


def _partition(context: RunContext) -> str | None:
    if context.has_partition_key:
        return context.partition_key
    if context.has_partition_key_range:
        keys = context.partition_key_range
        return keys.start if keys.start == keys.end else f"{keys.start}...{keys.end}"
    return None


def _asset(context: RunContext) -> str | None:
    """The asset's key; for a step of several assets, the step's name and how many it materializes."""
    if not context.has_assets_def:
        return None
    keys = sorted(key.to_user_string() for key in context.selected_asset_keys)
    return keys[0] if len(keys) == 1 else f"{context.op_def.name} ({len(keys)} assets)"


def run_fields(context: RunContext, kind: EventKind) -> dict[str, object]:
    """The fields every notification has: kind, run_id, job, asset, partition, time (UTC, ISO 8601)."""
    return {
        "kind": kind.value,
        "run_id": context.run.run_id,
        "job": context.job_name,
        "asset": _asset(context),
        "partition": _partition(context),
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
