"""Get one send's file onto the server exactly once, whatever attempt of the send this is."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd

from ...campaign.sftp import SftpSession
from ...warehouse import WarehouseResource
from .config import ClosedLoopSendConfig
from .file_names import reserve_file_name
from .ledger import RESERVED, Send, find_send, mark_uploaded
from .recipients import profile_rows
from .server_files import was_delivered
from .subscriber_file import SubscriberFileError, subscriber_csv, subscriber_frame


def build_file(config: ClosedLoopSendConfig, warehouse: WarehouseResource) -> tuple[pd.DataFrame, bytes]:
    fields = config.personalisation_fields
    rows = config.rows if config.rows is not None else profile_rows(warehouse, fields, config.max_recipients)
    try:
        frame = subscriber_frame(rows, config.broadmail_id, config.wave_id, [f.name for f in fields])
    except SubscriberFileError as invalid:
        raise dg.Failure(str(invalid)) from None
    return frame, subscriber_csv(frame)


def deliver(
    context: dg.AssetExecutionContext, config: ClosedLoopSendConfig, warehouse: WarehouseResource,
    session: SftpSession, upload_dir: str, send_id: str,
) -> Send:
    """The send's ledger row once its file is on the server (uploaded now or by an earlier attempt)."""
    send = find_send(warehouse, send_id)
    if send is not None and send.status != RESERVED:
        context.log.info(f"send {send_id} already uploaded {send.file_name}: not uploading it again")
        return send
    if send is not None and was_delivered(session, upload_dir, send.file_name):
        # An earlier attempt stopped between the rename and the ledger update.
        context.log.info(f"send {send_id}: {send.file_name} is already on the server: not uploading it again")
        mark_uploaded(warehouse, send_id, None, None, None)
        return _reloaded(warehouse, send_id)
    frame, data = build_file(config, warehouse)
    name = send.file_name if send is not None else reserve_file_name(
        warehouse, session, upload_dir, send_id, config.broadmail_id, config.wave_id)
    with tempfile.TemporaryDirectory(prefix="closed-loop-send-") as directory:
        local = Path(directory) / name
        local.write_bytes(data)
        session.upload(local, upload_dir, name)
    mark_uploaded(warehouse, send_id, len(frame), len(data), hashlib.sha256(data).hexdigest())
    context.log.info(f"send {send_id}: uploaded {name} ({len(frame)} rows, {len(data)} bytes)")
    return _reloaded(warehouse, send_id)


def _reloaded(warehouse: WarehouseResource, send_id: str) -> Send:
    send = find_send(warehouse, send_id)
    assert send is not None, "the ledger row was written before the upload"
    return send
