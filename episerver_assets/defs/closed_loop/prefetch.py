"""Download a run's files in order, a few ahead of the one being loaded, each transfer on its own
SFTP connection so that transfers overlap each other and the load."""

from __future__ import annotations

import contextlib
import queue
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...campaign.sftp import CampaignSftpResource, RemoteFile, SftpSession
from .spool import DownloadSpool

AHEAD = 2
"""Files downloaded beyond the one being loaded: bounds the run's disk use to three files."""


class Prefetcher:
    """Iterate to get each file's spool as its download starts; a spool is closed (its download
    stopped, its bytes freed) when the loop moves on to the next file or stops."""

    def __init__(self, sftp: CampaignSftpResource, files: Sequence[RemoteFile], scratch: Path, ahead: int = AHEAD):
        self._sftp = sftp
        self._files = list(files)
        self._scratch = scratch
        self._workers = ahead + 1
        self._sessions: queue.Queue[SftpSession] = queue.Queue()

    def _download(self, spool: DownloadSpool) -> None:
        session = self._sessions.get()
        before = session.bytes_received
        try:
            session.download_to(f"{self._sftp.response_dir}/{spool.remote.name}", spool)
        except BaseException as error:  # handed to the spool's reader
            spool.received_bytes = session.bytes_received - before
            spool.fail(error)
        else:
            spool.received_bytes = session.bytes_received - before
            spool.finish()
        finally:
            self._sessions.put(session)

    def __iter__(self) -> Iterator[DownloadSpool]:
        with contextlib.ExitStack() as stack:
            for _ in range(min(self._workers, len(self._files))):
                self._sessions.put(stack.enter_context(self._sftp.open_session()))
            pool = stack.enter_context(ThreadPoolExecutor(self._workers, thread_name_prefix="sftp-prefetch"))
            pending: deque[DownloadSpool] = deque()
            stack.callback(lambda: [spool.close() for spool in pending])  # before the pool joins
            files = iter(self._files)

            def fill() -> None:
                while len(pending) < self._workers and (remote := next(files, None)) is not None:
                    spool = DownloadSpool(remote, self._scratch)
                    pending.append(spool)
                    pool.submit(self._download, spool)

            fill()
            while pending:
                yield pending[0]
                pending.popleft().close()
                fill()
