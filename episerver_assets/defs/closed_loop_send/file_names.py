"""A unique `YYYYMMDDHHMMSS_subscribers.csv` name for each send, even for two sends in one second.

The name is the current UTC second; when it is taken, the next second is tried. Taken means: the
ledger holds it (its unique key also settles two sends racing for the same second, whichever process
runs them) or the server shows it, waiting, running, imported or logged (another system's upload, or
one the ledger lost). The server imports any name, so a later second is as good as the current one.
"""

from __future__ import annotations

import datetime as dt

from ...campaign.sftp import SftpSession
from ...warehouse import WarehouseResource
from .ledger import file_name_taken, try_reserve
from .server_files import name_in_use

MAX_BUMPS = 3600
"""Give up after an hour of taken seconds: something keeps writing names far ahead."""


def file_name_at(moment: dt.datetime) -> str:
    return f"{moment:%Y%m%d%H%M%S}_subscribers.csv"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def reserve_file_name(
    warehouse: WarehouseResource, session: SftpSession, upload_dir: str, send_id: str, broadmail_id: int,
    wave_id: int | None,
) -> str:
    """Reserve a free name for `send_id` in the ledger (status reserved) and return it."""
    moment = utc_now().replace(microsecond=0)
    for _ in range(MAX_BUMPS):
        name = file_name_at(moment)
        free = not file_name_taken(warehouse, name) and not name_in_use(session, upload_dir, name)
        if free and try_reserve(warehouse, send_id, name, broadmail_id, wave_id):
            return name
        moment += dt.timedelta(seconds=1)
    raise RuntimeError(f"no free subscriber file name in the {MAX_BUMPS} seconds after {utc_now():%Y-%m-%d %H:%M:%S}")
