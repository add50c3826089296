"""The demo after the closed loop: recipients, webhooks, activity through the receiver, profiles, audiences.

Each stage runs the code location's own jobs, as the schedule and the sensors would: the recipients
job, the webhook registration, the sandbox's sender posting events to the demo's receiver, the
activity job once per stretch the activity sensor would request, the profiles asset, then a CRM
extract consistent with the sandbox and the audiences over profiles and CRM.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from .demo_enrichment import enrich_source_audiences
from .progress import stage

EVENTS_PER_WEBHOOK = 40
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class InboundOutcome:
    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(result.success for result in self.results)

    def keep(self, result: dg.ExecuteInProcessResult) -> dg.ExecuteInProcessResult:
        self.results.append(result)
        return result


def run_inbound(defs: dg.Definitions, instance: dg.DagsterInstance, sandbox, tags: dict[str, str],
                seed: int, scale: str) -> InboundOutcome:
    outcome = InboundOutcome()

    def execute(job_name: str, title: str, *, extra_tags: dict[str, str] | None = None,
                selection: list[dg.AssetKey] | None = None) -> dg.ExecuteInProcessResult:
        with stage(title) as done:
            result = outcome.keep(defs.resolve_job_def(job_name).execute_in_process(
                instance=instance, run_config=RUN_CONFIG, tags={**tags, **(extra_tags or {})},
                asset_selection=selection, raise_on_error=False,
            ))
            done(_rows(result) if result.success else "FAILED", ok=result.success)
        return result

    execute("campaign_recipients_job", "importing the sandbox's recipient lists")
    execute("__ASSET_JOB", "registering and activating Campaign webhooks",
            selection=[dg.AssetKey(["activity", "campaign_webhooks"])])
    with stage("the sandbox posting webhook events to the receiver") as done:
        sent = sum(sender.emit(EVENTS_PER_WEBHOOK) for sender in sandbox.webhooks.values())
        failed = sum(sender.counters.failed + sender.pending for sender in sandbox.webhooks.values())
        done(f"{sent:,} events, {failed} deliveries not acknowledged", ok=sent > 0 and failed == 0)
    for request in _activity_run_requests():
        execute("episerver_activity_job", "adding landed events to activity.episerver_activity",
                extra_tags=request.tags)
    execute("__ASSET_JOB", "building profiles.user_profiles", selection=[dg.AssetKey(["profiles", "user_profiles"])])
    with stage("writing the sandbox's CRM extract to crm.contacts") as done:
        done(f"{_seed_crm(defs, instance, seed, scale):,} rows")
    execute("__ASSET_JOB", "computing the audiences", selection=[dg.AssetKey(["audiences", "audience_members"]),
                                                              dg.AssetKey(["audiences", "audience_history"])])
    enrich_source_audiences(defs, instance, RUN_CONFIG, tags, outcome.keep)
    return outcome


def _seed_crm(defs: dg.Definitions, instance: dg.DagsterInstance, seed: int, scale: str) -> int:
    """The CRM extract is an external asset: written here, then reported so the lineage shows it."""
    from ..defs.crm.contacts import CONTACTS_KEY
    from ..defs.crm.sandbox_contacts import seed_crm_contacts

    rows = seed_crm_contacts(defs.resources["warehouse"], seed=seed, scale=scale)
    instance.report_runless_asset_event(dg.AssetMaterialization(CONTACTS_KEY, metadata={"dagster/row_count": rows}))
    return rows


def _activity_run_requests() -> list[dg.RunRequest]:
    """What the activity sensor would request, tick after tick, until the landing store is consumed."""
    from ..defs.activity.activity_sensor import evaluate_landing_store
    from ..defs.activity.events_landing import landing_store
    from ..settings import load_settings

    requests, cursor = [], None
    with landing_store(load_settings()["EPISERVER_RECEIVER_STORE_URL"]) as store:
        while isinstance(result := evaluate_landing_store(cursor, store), dg.SensorResult):
            requests += result.run_requests or []
            cursor = result.cursor
    return requests


def _rows(result: dg.ExecuteInProcessResult) -> str:
    metadata = [event.materialization.metadata for event in result.get_asset_materialization_events()]
    rows = sum(int(m["dagster/row_count"].value) for m in metadata if "dagster/row_count" in m)
    return f"{rows:,} rows" if rows else ""
