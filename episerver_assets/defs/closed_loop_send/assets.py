"""`closed_loop_send/subscribers_upload`: one closed-loop send, from the recipient file to the import's outcome."""

import dagster as dg

from ...campaign.sftp import CampaignSftpResource
from ...pools import CAMPAIGN_SFTP
from ...warehouse import WarehouseResource
from ...warehouse.run_lock import exclusive_run
from . import server_files
from .config import ClosedLoopSendConfig
from .delivery import deliver
from .ledger import FAILED, UPLOADED, Send, ensure_ledger, record_outcome, sends
from .server_files import ImportOutcome
from .subscriber_file import FIXED_COLUMNS

OWNER = "team:crm-data"
USER_PROFILES = dg.AssetKey(["profiles", "user_profiles"])


def file_schema(config: ClosedLoopSendConfig) -> dg.TableSchema:
    numeric = {"broadmail_ID", "WAVE_ID"}
    names = [*FIXED_COLUMNS, *(f.name for f in config.personalisation_fields)]
    return dg.TableSchema(columns=[dg.TableColumn(n, "bigint" if n in numeric else "text") for n in names])


def _outcome(
    context: dg.AssetExecutionContext, config: ClosedLoopSendConfig, warehouse: WarehouseResource,
    sftp: CampaignSftpResource, send: Send,
) -> ImportOutcome:
    if send.status != UPLOADED:  # an earlier attempt recorded it
        return ImportOutcome(send.status, send.import_counts or {}, error=send.error)
    with sftp.open_session() as session:
        try:
            outcome = server_files.wait_for_outcome(
                session, sftp.upload_dir, send.file_name, config.outcome_timeout_seconds, config.poll_seconds)
        except TimeoutError as timeout:
            raise dg.Failure(
                f"{timeout}; a re-run of send {send.send_id} waits again and never uploads twice") from None
    record_outcome(warehouse, send.send_id, outcome.counts, outcome.error)
    context.log.info(f"send {send.send_id}: the server reports {outcome.status} for {send.file_name}")
    return outcome


@dg.asset(
    key=["closed_loop_send", "subscribers_upload"],
    group_name="closed_loop_send",
    kinds={"sftp", "csv", "pandera"},
    owners=[OWNER],
    pool=CAMPAIGN_SFTP,
    deps=[USER_PROFILES],
    metadata={"dagster/table_name": sends.fullname},
)
def subscribers_upload(
    context: dg.AssetExecutionContext, config: ClosedLoopSendConfig, warehouse: WarehouseResource,
    sftp: CampaignSftpResource,
) -> dg.MaterializeResult:
    """**Closed-loop send** (seed 004): writes `YYYYMMDDHHMMSS_subscribers.csv` (`;`, every field quoted,
    LF, UTF-8) for the source mailing `broadmail_id`, uploads it under a temporary name and renames it,
    then waits for the server's log or error file (with EPISERVER_PGP_PUBLIC_KEY set, the file goes
    PGP-encrypted to that key, under the same name). Campaign copies the source mailing and sends it to
    the file's recipients. The ledger `closed_loop_send.sends` makes every send upload at most once:
    re-running a send (same send id) only waits for, or reports, the outcome; an attempt started while
    another is uploading the same send fails at once, uploading nothing. An error file fails the
    materialization with its content."""
    send_id = config.send_id or context.run.tags.get("dagster/root_run_id") or context.run.run_id
    ensure_ledger(warehouse)
    # two attempts of one send at once could both find it reserved and not yet on the server
    with exclusive_run(warehouse, "closed-loop send", send_id), sftp.open_session() as session:
        send = deliver(context, config, warehouse, session, sftp.upload_dir, send_id, sftp.pgp_keys())
    outcome = _outcome(context, config, warehouse, sftp, send)
    metadata = {
        "send_id": send_id,
        "file_name": send.file_name,
        "broadmail_ID": config.broadmail_id,
        "import_status": outcome.status,
        **{f"import_{name}": count for name, count in sorted(outcome.counts.items())},
    }
    if outcome.status == FAILED or outcome.error:
        raise dg.Failure(description=f"the server did not import {send.file_name}: {outcome.error}", metadata=metadata)
    if outcome.ignored_columns:
        metadata["ignored_columns"] = outcome.ignored_columns
    return dg.MaterializeResult(metadata={
        **metadata,
        "dagster/row_count": outcome.counts.get("rows", send.rows or 0),
        "dagster/column_schema": file_schema(config),
        "sha256": send.sha256 or "",
    })
