"""Refuse to clear a list when the new selection is empty or much smaller than the last good refresh.

A blocking asset check of the refresh, evaluated inside it before `clear` (a check run after the asset
would see the selection only once the list was emptied): a refused check ends the step with the list
untouched. A run configured with `confirm: true` clears anyway, and the check records the override.
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


CHECK_NAME = "safe_to_clear"


def clear_check(selected: int, previous: int | None, max_shrink: float, confirmed: bool,
                log: dg.DagsterLogManager) -> tuple[dg.AssetCheckResult, str | None]:
    """The blocking check's result, evaluated before `clear`, and the refusal when the list must stay."""
    reason = refusal(selected, previous, max_shrink)
    if reason is not None and confirmed:
        log.warning(f"clearing although {reason}: the run is confirmed")
    result = dg.AssetCheckResult(
        check_name=CHECK_NAME, passed=reason is None or confirmed, severity=dg.AssetCheckSeverity.ERROR,
        description=f"{'confirmed despite: ' if confirmed else 'refused: '}{reason}" if reason else "within the limits",
        metadata={"selected": selected, "last_successful": previous or 0, "confirmed": confirmed})
    return result, reason if not confirmed else None
