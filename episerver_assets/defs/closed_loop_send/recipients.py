"""Who a closed-loop send goes to: rows given in the run config, or a query over the user profiles."""

from __future__ import annotations

from typing import Optional

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from ...warehouse import WarehouseResource
from ..profiles.tables import user_profiles


class PersonalisationField(dg.Config):
    name: str = Field(description="Column name in the file, as agreed with Campaign for the recipient list.")
    profile_column: Optional[str] = Field(
        default=None, description="profiles.user_profiles column that fills it when rows come from the profiles."
    )


def profile_rows(
    warehouse: WarehouseResource, fields: list[PersonalisationField], max_recipients: int
) -> list[dict[str, object]]:
    """Every profile with an address that never hard-bounced nor unsubscribed, by address.

    The profiles hold no salutation or names, so those columns stay empty.
    """
    unknown = [f.name for f in fields if f.profile_column is None or f.profile_column not in user_profiles.c]
    if unknown:
        raise dg.Failure(f"personalisation fields {unknown} need a profile_column of profiles.user_profiles")
    columns = [user_profiles.c.email.label("Email")]
    columns += [sa.cast(user_profiles.c[f.profile_column], sa.Text).label(f.name) for f in fields]
    eligible = (
        user_profiles.c.email.is_not(None) & (user_profiles.c.hard_bounces == 0) & (user_profiles.c.unsubscribes == 0)
    )
    query = sa.select(*columns).where(eligible).order_by(user_profiles.c.email).limit(max_recipients + 1)
    with warehouse.begin() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    if len(rows) > max_recipients:
        raise dg.Failure(f"more than max_recipients={max_recipients} profiles qualify: refusing to send to all of them")
    return rows
