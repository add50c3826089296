"""`crm_refresh/recipient_list_refresh`: seed 003's daily full refresh of one recipient list over SOAP."""

import dagster as dg

from ...campaign.soap import CampaignSoapClient, CampaignSoapResource
from ...campaign.soap.add_all3 import check_sendable
from ...campaign.soap.add_all3_wire import UnsendableValue
from ...notifications import EventKind, notify
from ...pools import CAMPAIGN_SOAP, soap_share_per_step
from ...warehouse import WarehouseResource
from ..crm.contacts import CONTACTS_KEY, contacts
from .config import RecipientListRefreshConfig
from .guard import CHECK_NAME, clear_check, last_successful_count
from .results import code_counts, record_refresh
from .selection import Selection, select_recipients
from .suppressions_asset import GROUP, OWNER, SUPPRESSIONS_KEY, load_matcher
from .tables import refresh_results, refresh_runs, suppressions

REFRESH_KEY = dg.AssetKey(["crm_refresh", "recipient_list_refresh"])


def _require_fields(client: CampaignSoapClient, list_id: int, field_names: list[str]) -> None:
    """addAll3 faults on a field the list lacks, and it would do so after `clear` had emptied the list."""
    missing = sorted(set(field_names) - set(client.get_attribute_names(list_id)))
    if missing:
        raise dg.Failure(f"recipient list {list_id} has no field {', '.join(missing)}; the list was not cleared")


def _require_sendable(selection: Selection, field_names: list[str], list_id: int) -> None:
    """A value XML 1.0 cannot carry would stop addAll3 half-way, after `clear`: found before it."""
    try:
        check_sendable(selection.recipients, field_names)
    except UnsendableValue as error:
        row = error.row - 1
        raise dg.Failure(f"recipient list {list_id} was not cleared: {error} (CRM {selection.entity_types[row]} "
                         f"{selection.entity_ids[row]})") from None


@dg.asset(
    key=REFRESH_KEY,
    deps=[CONTACTS_KEY, SUPPRESSIONS_KEY],
    group_name=GROUP,
    kinds={"soap", "sql"},
    owners=[OWNER],
    pool=CAMPAIGN_SOAP,
    metadata={"dagster/table_name": refresh_results.fullname},
    check_specs=[dg.AssetCheckSpec(
        CHECK_NAME, asset=REFRESH_KEY, blocking=True,
        description="Evaluated before `clear`: refuses an empty selection or one that shrank more than "
                    "max_shrink against the last successful refresh, unless the run config confirms it.")],
)
def recipient_list_refresh(
    context: dg.AssetExecutionContext, config: RecipientListRefreshConfig, warehouse: WarehouseResource,
    soap: CampaignSoapResource,
):
    """**CRM full refresh** (seed 003): the CRM recipients of exactly one opt-in, with the technical
    fields opt-in id, description, media type, entity type and entity id, minus every suppressed
    address, replace the recipient list: `clear`, then `addAll3` in batches. Refuses to clear when the
    selection is empty or shrank beyond `max_shrink` against the last successful refresh unless the
    run is confirmed (the blocking check `safe_to_clear`, evaluated before `clear`). Rows Campaign did
    not add (code 1-7) go to `crm_refresh.refresh_results`."""
    list_id = config.recipient_list_id
    # One refresh of a list at a time, whatever process runs it: a second one interleaving its clear and
    # addAll3 with the first's would find half its recipients "already in list". The later one waits
    # (up to partition_lock_timeout_seconds; on DuckDB for the file, so the lock comes before any other
    # warehouse access), then compares with the earlier one's outcome.
    with warehouse.exclusive_partition(refresh_runs, list_id) as connection:
        warehouse.ensure_table(contacts, suppressions, refresh_runs, refresh_results)
        selection = select_recipients(warehouse, config, load_matcher(warehouse))
        _require_sendable(selection, list(config.fields.values()), list_id)
        previous = last_successful_count(warehouse, list_id)
        check, refused = clear_check(len(selection), previous, config.max_shrink, config.confirm, context.log)
        yield check
        if refused is not None:
            message = f"refused to clear the list: {refused}. Re-run with `confirm: true` to clear anyway."
            notify(context, EventKind.CLEAR_REFUSED, {
                "error": message, "recipient_list_id": list_id,
                "selected": len(selection), "last_successful": previous or 0})
            raise dg.Failure(message, metadata={"selected": len(selection), "last_successful": previous or 0})

        field_names = list(config.fields.values())
        with soap.client() as client:
            _require_fields(client, list_id, field_names)
            client.clear(list_id)
            summary = client.add_all3(list_id, selection.recipients, field_names, config.optin_process_id,
                                      connections=soap_share_per_step())
        rejected = selection.entities(rid for ids in summary.recipient_ids.values() for rid in ids)
        record_refresh(connection, context.run.run_id, list_id, selection.optin_id, summary, rejected)
    context.log.info(f"list {config.recipient_list_id}: sent {summary.total}, added {summary.added}, "
                     f"rejected {summary.rejected} in {summary.batches} batches")
    yield dg.MaterializeResult(metadata={
        "recipient_list_id": config.recipient_list_id,
        "optin_id": selection.optin_id,
        "selected": summary.total,
        "excluded_suppressed": selection.suppressed,
        "duplicate_addresses": selection.duplicates,
        "last_successful": previous or 0,
        "confirmed": config.confirm,
        "batches": summary.batches,
        "dagster/row_count": summary.rejected,
        **code_counts(summary),
    })
