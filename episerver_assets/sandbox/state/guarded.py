"""The base every part of a client's state builds on: its account, its lock and its id counter."""

from __future__ import annotations

import itertools
import threading

from .records import ClientAccount


class GuardedClient:
    """REST, SOAP and SFTP handlers run on different threads: every method takes `lock`.

    The parts of `ClientState` are cooperative mixins over this base; each sets up its own
    records in `__init__` and passes the account on.
    """

    def __init__(self, account: ClientAccount):
        self.account = account
        self.lock = threading.RLock()
        self._ids = itertools.count(account.client_id * 1000 + 1)

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)
