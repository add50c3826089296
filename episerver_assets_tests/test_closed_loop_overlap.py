"""Download, validation and load overlap: a file's first rows reach the warehouse insert while the
rest of it is still being transferred."""

from __future__ import annotations

import datetime as dt
import threading

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.defs.closed_loop import loading, spool
from episerver_assets.defs.closed_loop.day_load import load_days
from episerver_assets.defs.closed_loop.loading import LoadedFile
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.sandbox.generator import sizes_for_total_rows, write_response_day

DAY = dt.date(2026, 11, 10)
STALL_AT = 3 << 20
"""The reader parses 1 MiB blocks and needs the next block to finish one: the stall leaves more than
a block unsent behind at least two."""
BOUND_SECONDS = 30  # only bounds a failing test: the loader releases the stall at once when it overlaps


def test_rows_are_inserted_while_their_file_still_downloads(sandbox, sandbox_env, warehouse, monkeypatch):
    write_response_day(sandbox.client_dir(1000) / "response", DAY, sandbox.config.seed,
                       sizes_for_total_rows(80_000), client_id=1000)
    big = RESPONSE_TABLES["mailing_recipients"].file_name(DAY)
    assert (sandbox.client_dir(1000) / "response" / big).stat().st_size > STALL_AT + (1 << 20)
    first_batch_inserting = threading.Event()
    stalled: list[bool] = []
    real_write, real_with_date = spool.DownloadSpool.write, loading.with_partition_date

    def write(self, data):
        written = real_write(self, data)
        if self.remote.name == big and not stalled and self.tell() >= STALL_AT:
            # Hold the rest of the file back until its first rows reach the insert.
            stalled.append(first_batch_inserting.wait(BOUND_SECONDS))
        return written

    def with_partition_date(batch, day):
        if "sending_status" in batch.schema.names:  # a mailing_recipients batch, on the insert's thread
            first_batch_inserting.set()
        return real_with_date(batch, day)

    monkeypatch.setattr(spool.DownloadSpool, "write", write)
    monkeypatch.setattr(loading, "with_partition_date", with_partition_date)
    monkeypatch.setattr(loading, "LOAD_BATCH_ROWS", 1000)

    outcomes = list(load_days(CampaignSftpResource.from_env(), warehouse, [DAY]))

    assert all(isinstance(o, LoadedFile) for o in outcomes), outcomes
    assert stalled == [True]  # released by the insert, not by the bound
    recipients = next(o for o in outcomes if o.table.name == "mailing_recipients")
    assert recipients.rows > 2000 and recipients.transferred_bytes == recipients.size_bytes
