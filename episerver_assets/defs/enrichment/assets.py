"""`enrichment/<slug>`: one asset per configured enrichment, downstream of the audiences.

Eager: it runs when the source audience changes (members entering are sent once), as the seed's
real-time enrichment does. Its answers reach `profiles.user_profiles` on the profiles' next build;
that edge is not declared (the profiles feed the audiences, so it would close a cycle).
"""


import dagster as dg

from ...notifications import EventKind, notify
from ...pools import WAREHOUSE
from ...warehouse import WarehouseResource
from ..audiences.assets import AUDIENCES, MEMBERS_KEY
from .config import Enrichment, check_source_audiences, config_path, load_enrichments
from .oauth_client import EnrichmentAuthorizationError
from .run import EnrichmentEndpointFailing, run_enrichment
from .tables import stream_table

OWNER = "team:crm-data"
ENRICHMENTS = load_enrichments()
"""Read when the code location loads: a template Jsonnet refuses stops the load with its name."""
check_source_audiences(ENRICHMENTS, {audience.slug for audience in AUDIENCES})


class EnrichmentRunConfig(dg.Config):
    retry_failed: bool = False
    """Send again the current members whose last outcome was a failure."""
    limit: int | None = None
    """Send at most this many profiles in this run (the oldest entries first)."""


def _column_schema(enrichment: Enrichment) -> dg.TableSchema:
    table = stream_table(enrichment.stream, list(enrichment.map.values()))
    return dg.TableSchema(columns=[dg.TableColumn(c.name, str(c.type).lower(), description=c.comment)
                                   for c in table.columns])


def _description(enrichment: Enrichment) -> str:
    mapped = ", ".join(f"`{field}` -> `{column}`" for field, column in enrichment.map.items())
    return (f"**{enrichment.name}**: members of audience `{enrichment.source_audience}` are sent once per entry "
            f"to `{enrichment.url.split('?')[0]}` (OAuth 2.0 client credentials, secret from "
            f"`{enrichment.authorization.client_secret_env}`); answers land in `enrichment.{enrichment.stream}` "
            f"and {mapped} reach profiles.user_profiles on its next build.")


def _enrichment_asset(enrichment: Enrichment) -> dg.AssetsDefinition:
    @dg.asset(
        key=["enrichment", enrichment.slug], group_name="enrichment", kinds={"jsonnet", "sql"}, owners=[OWNER],
        deps=[MEMBERS_KEY], description=_description(enrichment), pool=WAREHOUSE,
        automation_condition=dg.AutomationCondition.eager(),
        metadata={"dagster/table_name": f"enrichment.{enrichment.stream}",
                  "dagster/column_schema": _column_schema(enrichment),
                  "source_audience": enrichment.source_audience, "definitions_file": str(config_path()),
                  "client_secret_env": enrichment.authorization.client_secret_env},
    )
    def enrichment_asset(context: dg.AssetExecutionContext, config: EnrichmentRunConfig,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
        try:
            summary = run_enrichment(warehouse, enrichment, retry_failed=config.retry_failed, limit=config.limit)
        except (EnrichmentAuthorizationError, EnrichmentEndpointFailing) as error:
            notify(context, EventKind.ENRICHMENT_FAILING, {"error": str(error), "enrichment": enrichment.slug})
            raise
        if summary.failed and not summary.enriched:
            notify(context, EventKind.ENRICHMENT_FAILING, {"error": "every profile sent failed", "failed": summary.failed,
                                                           "enrichment": enrichment.slug})
        return dg.MaterializeResult(metadata={
            "dagster/row_count": warehouse.row_count(stream_table(enrichment.stream, [])),
            "due": summary.due, "enriched": summary.enriched, "failed": summary.failed,
            "requests": summary.requests, "tokens_fetched": summary.tokens_fetched,
            "profiles_per_second": round((summary.enriched + summary.failed) / summary.seconds, 1)
            if summary.seconds else 0.0,
            "failure_reasons": dg.MetadataValue.md("\n".join(
                f"- {count} x {reason}" for reason, count in summary.reasons.most_common(10)) or "none"),
        })

    return enrichment_asset


enrichment_assets = [_enrichment_asset(enrichment) for enrichment in ENRICHMENTS]
