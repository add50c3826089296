"""Which members a plan compares: every member, or only those whose inputs changed since the last applied plan.

A member's desired row depends on its audiences (enter and exit events in `audiences.audience_history`),
its profile (`user_profiles.updated_at`, stamped by every build that rewrites the row) and the export's
definition. A plan records how far it read both (`exports.plan_inputs`). The next plan, when the last
applied plan has the same definition, compares only the members changed since then, plus those with a
rejected row (so a retry falls due, and held-back rows are counted as a full comparison counts them).
The audiences computation and the profiles build stamp their rows once no other computation or build can
write (their lock; on DuckDB the database file's), so a change committed after a plan read the stamps
carries a later one than any the plan saw (one clock is assumed: a writer whose clock lags by more than
the time between two computations could be missed until the next full comparison). Profiles count as
read only up to the last audiences computation (`_seen_to`).

Every member is compared for the first plan, after the definition changed, when the run config asks,
and when the last full comparison is older than the export's `full_compare_every_hours`. That also
finds what no stamp shows: a profile row rewritten by hand, or a member whose profile was deleted while
a CRM contact keeps it in the audience (its mapped fields become empty without a new stamp).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..audiences.config import Audience
from ..audiences.tables import audience_history, audience_members, audience_sizes
from ..profiles.tables import user_profiles
from .config import Export
from .tables import owned_members, plan_inputs, plans, row_failures

CHANGED = "export_changed_members"


@dataclass(frozen=True)
class PlanScope:
    full: bool
    reason: str
    base_plan_id: str | None
    definition: str
    audiences_seen_to: dt.datetime | None
    profiles_seen_to: dt.datetime | None
    base_audiences_seen_to: dt.datetime | None = None
    base_profiles_seen_to: dt.datetime | None = None

    @property
    def name(self) -> str:
        return "full" if self.full else "changes"


PAYLOAD_FORMAT = 1
"""Raise it when a release changes how wanted rows are rendered (`desired.py`): plans then compare everyone."""


def definition_digest(export: Export, audiences: Sequence[Audience]) -> str:
    """What decides the rows a plan wants: a change to any of it makes the next plan compare everything."""
    names = {a.slug: a.name for a in audiences}
    decisive = [PAYLOAD_FORMAT, [(slug, names[slug]) for slug in export.audiences], export.identifier,
                export.membership_field, export.separator, list(export.field_mapping.items()), export.exit.value]
    return hashlib.sha256(json.dumps(decisive).encode()).hexdigest()


def _slugs(statement: str) -> sa.TextClause:
    return sa.text(statement).bindparams(sa.bindparam("slugs", expanding=True))


def _seen_to(connection: sa.Connection, export: Export) -> tuple[dt.datetime | None, dt.datetime | None]:
    """How far this plan reads audience events, and profiles. Profiles count as read only up to the last
    audiences computation: a profile rebuilt after it may belong to a member the next computation moves
    to that person (two persons merged, a contact's first profile), with no event; the next plan must
    still find the member through that profile."""
    audiences = connection.execute(_slugs(
        f"SELECT max(event_at) FROM {audience_history.fullname} WHERE audience IN :slugs"),
        {"slugs": list(export.audiences)}).scalar_one()
    profiles = connection.execute(sa.text(f"SELECT max(updated_at) FROM {user_profiles.fullname}")).scalar_one()
    computed = connection.execute(sa.text(f"SELECT max(computed_at) FROM {audience_sizes.fullname}")).scalar_one()
    return audiences, None if profiles is None or computed is None else min(profiles, computed)


def _base(connection: sa.Connection, export: Export) -> tuple[sa.Row | None, dt.datetime | None]:
    """The export's last applied plan with what it read (None for a plan made before inputs were kept),
    and the time of the last applied full comparison."""
    last_applied = (sa.select(plans.c.plan_id).where(plans.c.export == export.name, plans.c.status == "applied")
                    .order_by(plans.c.planned_at.desc()).limit(1).scalar_subquery())
    base = connection.execute(sa.select(plan_inputs).where(
        plan_inputs.c.export == export.name, plan_inputs.c.plan_id == last_applied)).first()
    last_full = connection.execute(
        sa.select(sa.func.max(plans.c.planned_at)).select_from(plans.join(plan_inputs, sa.and_(
            plans.c.plan_id == plan_inputs.c.plan_id, plans.c.export == plan_inputs.c.export)))
        .where(plans.c.export == export.name, plans.c.status == "applied", plan_inputs.c.scope == "full")
    ).scalar_one()
    return base, last_full


def choose_scope(connection: sa.Connection, export: Export, audiences: Sequence[Audience], at: dt.datetime,
                 compare_all: bool) -> PlanScope:
    definition = definition_digest(export, audiences)
    audiences_seen_to, profiles_seen_to = _seen_to(connection, export)
    base, last_full = _base(connection, export)
    reason = None
    if compare_all:
        reason = "the run config asked for a full comparison"
    elif base is None:
        reason = "no earlier plan of this export was applied with its inputs recorded"
    elif base.definition != definition:
        reason = f"the export's definition changed since plan {base.plan_id}"
    elif last_full is None or at - last_full > dt.timedelta(hours=export.full_compare_every_hours):
        reason = f"the last full comparison is older than {export.full_compare_every_hours:g} hours"
    if reason is not None:
        return PlanScope(True, reason, None, definition, audiences_seen_to, profiles_seen_to)
    return PlanScope(False, f"members changed since plan {base.plan_id}", base.plan_id, definition,
                     audiences_seen_to, profiles_seen_to, base.audiences_seen_to, base.profiles_seen_to)


def fill_changed_members(connection: sa.Connection, export: Export, scope: PlanScope, member_id: str) -> None:
    """Create `export_changed_members`: addresses of the members (present or gone) to compare.
    `member_id` is the SQL of a member's recipient id over `audience_members m` and `user_profiles p`."""
    since = {"events_since": scope.base_audiences_seen_to, "rebuilt_since": scope.base_profiles_seen_to}
    events = "true" if since["events_since"] is None else "h.event_at > :events_since"
    rebuilt = "true" if since["rebuilt_since"] is None else "p.updated_at > :rebuilt_since"
    members, profiles, ledger, failures = (audience_members.fullname, user_profiles.fullname,
                                           owned_members.fullname, row_failures.fullname)
    failed = f"SELECT recipient_id FROM {failures} WHERE export = :export"
    connection.execute(sa.text(f"DROP TABLE IF EXISTS {CHANGED}"))
    connection.execute(_slugs(f"""
        CREATE TEMPORARY TABLE {CHANGED} AS
        SELECT DISTINCT email FROM (
            SELECT h.email FROM {audience_history.fullname} h WHERE h.audience IN :slugs AND {events}
            UNION ALL
            SELECT m.email FROM {members} m JOIN {profiles} p ON p.person_id = m.person_id
            WHERE m.audience IN :slugs AND {rebuilt}
            UNION ALL
            SELECT l.email FROM {ledger} l WHERE l.export = :export AND l.recipient_id IN ({failed})
            UNION ALL
            SELECT m.email FROM {members} m LEFT JOIN {profiles} p ON p.person_id = m.person_id
            WHERE m.audience IN :slugs AND {member_id} IN ({failed})
        ) AS changed"""),
        {"slugs": list(export.audiences), "export": export.name,
         **{name: value for name, value in since.items() if value is not None}})


def record_inputs(connection: sa.Connection, export: Export, plan_id: str, scope: PlanScope, compared: int) -> None:
    connection.execute(sa.insert(plan_inputs).values(
        plan_id=plan_id, export=export.name, scope=scope.name, reason=scope.reason, base_plan_id=scope.base_plan_id,
        definition=scope.definition, audiences_seen_to=scope.audiences_seen_to,
        profiles_seen_to=scope.profiles_seen_to, compared=compared))
