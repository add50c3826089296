"""Refuse to clear a list when the new selection is empty or much smaller than the last good refresh.

Runs inside the refresh before `clear`: an asset check would see the result only after the list was
emptied. A run configured with `confirm: true` clears anyway.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from ...warehouse import WarehouseResource
from .tables import refresh_runs


def last_successful_count(warehouse: WarehouseResource, recipient_list_id: int) -> int | None:
    query = (sa.select(refresh_runs.c.selected).where(refresh_runs.c.recipient_list_id == recipient_list_id)
             .order_by(refresh_runs.c.finished_at.desc()).limit(1))
    with warehouse.begin() as connection:
        return connection.execute(query).scalar()


def refusal(selected: int, previous: int | None, max_shrink: float) -> str | None:
    """Why clearing is refused, or None when it may go ahead."""
    if selected == 0:
        return "the new selection is empty"
    if previous and selected < previous * (1 - max_shrink):
        shrink = 1 - selected / previous
        return (f"the new selection of {selected} recipients is {shrink:.0%} smaller than the last successful "
                f"refresh ({previous}); the limit is {max_shrink:.0%}")
    return None


def check_before_clear(selected: int, previous: int | None, max_shrink: float, confirmed: bool,
                       log: dg.DagsterLogManager) -> None:
    reason = refusal(selected, previous, max_shrink)
    if reason is None:
        return
    if not confirmed:
        raise dg.Failure(f"refused to clear the list: {reason}. Re-run with `confirm: true` to clear anyway.",
                         metadata={"selected": selected, "last_successful": previous or 0})
    log.warning(f"clearing although {reason}: the run is confirmed")
