"""The demo's outbound half: suppressions, the CRM full refresh, every audience export, a closed-loop send.

Each stage runs the code location's own jobs and assets against the demo's sandbox. The exports'
first plans are backfills into empty lists (100% of the list): the demo confirms them through run
config, as a user would after reading the refused plan.
"""

from __future__ import annotations

import dagster as dg

from .demo_inbound import RUN_CONFIG, InboundOutcome
from .progress import stage

SEND_OP = "closed_loop_send__subscribers_upload"
SEND_CONFIG = {"poll_seconds": 0.2, "outcome_timeout_seconds": 120.0, "max_recipients": 100_000}


def run_outbound(defs: dg.Definitions, instance: dg.DagsterInstance, tags: dict[str, str]) -> InboundOutcome:
    from ..defs.crm_refresh.config import SANDBOX_CONFIG, run_config_from_yaml
    from ..defs.crm_refresh.schedule import REFRESH_OP
    from ..defs.exports.assets import EXPORTS

    outcome = InboundOutcome()

    def execute(title: str, job_name: str, selection: list[dg.AssetKey] | None = None, run_config: dict | None = None,
                summary=lambda result: "") -> dg.ExecuteInProcessResult:
        with stage(title) as done:
            result = outcome.keep(defs.resolve_job_def(job_name).execute_in_process(
                instance=instance, run_config={**RUN_CONFIG, **(run_config or {})}, tags=tags,
                asset_selection=selection, raise_on_error=False))
            done(summary(result) if result.success else "FAILED", ok=result.success)
        return result

    execute("CRM full refresh: suppressions, then clear + addAll3 over SOAP", "crm_refresh_job",
            run_config=run_config_from_yaml(SANDBOX_CONFIG, REFRESH_OP),
            summary=lambda r: _metadata(r, "crm_refresh", "recipient_list_refresh", "selected", "{:,} recipients sent"))
    for export in EXPORTS:
        plan_key = dg.AssetKey(["exports", f"{export.name}_plan"])
        apply_key = dg.AssetKey(["exports", f"{export.name}_apply"])
        execute(f"export {export.name}: plan (first backfill, confirmed) and apply to list {export.recipient_list_id}",
                "__ASSET_JOB", [plan_key, apply_key],
                {"ops": {f"exports__{export.name}_plan": {"config": {"confirm": True}}}},
                summary=_export_summary(apply_key))
    execute("closed-loop send: the subscribers file over SFTP, then the import's log", "__ASSET_JOB",
            [dg.AssetKey(["closed_loop_send", "subscribers_upload"])], {"ops": {SEND_OP: {"config": SEND_CONFIG}}},
            summary=lambda r: _metadata(r, "closed_loop_send", "subscribers_upload", "dagster/row_count",
                                        "{:,} recipients imported"))
    return outcome


def _materialization(result: dg.ExecuteInProcessResult, *path: str) -> dict:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(list(path))]
    return {k: v.value for k, v in events[-1].materialization.metadata.items()} if events else {}


def _metadata(result: dg.ExecuteInProcessResult, group: str, name: str, key: str, template: str) -> str:
    value = _materialization(result, group, name).get(key)
    return template.format(value) if value is not None else ""


def _export_summary(apply_key: dg.AssetKey):
    def summary(result: dg.ExecuteInProcessResult) -> str:
        metadata = _materialization(result, *apply_key.path)
        statuses = {k.split("/", 1)[1]: v for k, v in metadata.items() if k.startswith("status/")}
        return ", ".join(f"{n:,} {status}" for status, n in sorted(statuses.items())) or "nothing to send"
    return summary
