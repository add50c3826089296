"""Get one send's file onto the server exactly once, whatever attempt of the send this is."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd

from ...campaign.sftp import SftpSession
from ...pgp import PgpKeys, encrypt_for_upload
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
    session: SftpSession, upload_dir: str, send_id: str, pgp: PgpKeys,
) -> Send:
    """The send's ledger row once its file is on the server (uploaded now or by an earlier attempt).
    With a public key in `pgp` the file goes encrypted, under the same name (the ledger's size and
    SHA-256 are those of the bytes uploaded)."""
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
        uploaded = encrypt_for_upload(pgp, local)
        session.upload(uploaded, upload_dir, name)
        size = uploaded.stat().st_size
        with uploaded.open("rb") as sent:
            sha256 = hashlib.file_digest(sent, "sha256").hexdigest()
    mark_uploaded(warehouse, send_id, len(frame), size, sha256)
    how = ", PGP-encrypted" if uploaded != local else ""
    context.log.info(f"send {send_id}: uploaded {name} ({len(frame)} rows, {size} bytes{how})")
    return _reloaded(warehouse, send_id)


def _reloaded(warehouse: WarehouseResource, send_id: str) -> Send:
    send = find_send(warehouse, send_id)
    assert send is not None, "the ledger row was written before the upload"
    return send
