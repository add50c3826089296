"""Make an export's plan: compare what the audiences want with the ledger of what the export sent.

- **add**: a member the ledger has no active row for (new, or back after an exit);
- **update**: an active member whose payload (membership value, mapped fields) changed;
- an active ledger row whose member left every exported audience exits as
  - **remove** in mirror mode when this export added the recipient,
  - **clear_membership** when this export set the membership field (set to ''),
  - **forget** otherwise: the ledger lets go, Campaign is not written (a field we never set is never
    cleared, a recipient someone else added is never removed).
Rows Campaign rejected wait for their backoff (or, permanently rejected, for a different change).
Adds and updates of suppressed addresses are flagged for the plan's check. Which members are compared
(all, or those changed since the last applied plan) is `plan_scope`'s choice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..audiences.config import Audience
from ..crm_refresh.matching import SuppressionMatcher
from ..crm_refresh.tables import suppressions
from .config import Export, ExitBehaviour
from .desired import DESIRED, fill_desired, member_id_sql
from .plan_scope import CHANGED, PlanScope, choose_scope, fill_changed_members, record_inputs
from .tables import owned_members, plan_rows, row_failures

ACTIONS = ("add", "update", "clear_membership", "remove", "forget")
WRITING_ACTIONS = ("add", "update", "clear_membership", "remove")


@dataclass(frozen=True)
class PlanCounts:
    scope: PlanScope
    compared: int
    actions: dict[str, int]
    held_back: int
    suppressed: int

    @property
    def changes(self) -> int:
        return sum(self.actions.get(action, 0) for action in WRITING_ACTIONS)


def _insert_rows(connection: sa.Connection, export: Export, plan_id: str, only_changed: bool) -> None:
    ledger, rows = owned_members.fullname, plan_rows.fullname
    # The ledger's key is the member's address when that is the identifier: its index finds the rows.
    changed = (f"AND {'recipient_id' if export.identifier == 'email' else 'email'} IN (SELECT email FROM {CHANGED})"
               if only_changed else "")
    mirror = export.exit == ExitBehaviour.REMOVE_WHEN_NO_AUDIENCE_LEFT
    clear_payload = json.dumps({export.membership_field: ""}) if export.membership_field else None
    exit_action = f"""CASE WHEN {'l.added_by_us' if mirror else 'false'} THEN 'remove'
                           WHEN :has_membership AND l.membership_sent IS NOT NULL AND l.membership_sent <> ''
                           THEN 'clear_membership' ELSE 'forget' END"""
    # One full join of the audience and the export's active ledger rows: one pass over each, where an
    # add, an update and an exit branch joined them three times. An exit without a write needs no
    # payload, and a removal sends none. Rows are stored in the order apply reads them: PostgreSQL's
    # page reads by index then touch each table page once (in hash order they cost 2.3 times as much).
    connection.execute(sa.text(f"""
        INSERT INTO {rows} (plan_id, export, recipient_id, email, action, payload, suppressed)
        SELECT :plan, :export, recipient_id, email, action,
               CASE WHEN action IN ('remove', 'forget') THEN NULL ELSE payload END, false
        FROM (
            SELECT coalesce(d.recipient_id, l.recipient_id) AS recipient_id,
                   CASE WHEN d.recipient_id IS NULL THEN l.email ELSE d.email END AS email,
                   CASE WHEN l.recipient_id IS NULL THEN 'add' WHEN d.recipient_id IS NULL THEN {exit_action}
                        ELSE 'update' END AS action,
                   CASE WHEN d.recipient_id IS NULL THEN CAST(:clear_payload AS TEXT) ELSE d.payload END AS payload
            FROM {DESIRED} d FULL JOIN (
                SELECT recipient_id, email, payload_sent, added_by_us, membership_sent FROM {ledger}
                WHERE export = :export AND active {changed}) AS l
              ON l.recipient_id = d.recipient_id
            WHERE l.recipient_id IS NULL OR d.recipient_id IS NULL OR l.payload_sent IS DISTINCT FROM d.payload
        ) AS changes
        ORDER BY recipient_id"""),
        {"plan": plan_id, "export": export.name, "has_membership": clear_payload is not None,
         "clear_payload": clear_payload})


def _hold_back(connection: sa.Connection, export: Export, plan_id: str, at: dt.datetime) -> int:
    """Leave out rows whose same change was rejected and waits for its retry, or was given up."""
    rows = plan_rows.fullname
    return connection.execute(sa.text(f"""
        DELETE FROM {rows} WHERE plan_id = :plan AND EXISTS (
            SELECT 1 FROM {row_failures.fullname} f
            WHERE f.export = :export AND f.recipient_id = {rows}.recipient_id AND f.action = {rows}.action
              AND f.payload IS NOT DISTINCT FROM {rows}.payload AND (f.permanent OR f.next_attempt_at > :at))"""),
        {"plan": plan_id, "export": export.name, "at": at}).rowcount


def _flag_suppressed(connection: sa.Connection, plan_id: str) -> None:
    """Exact addresses in SQL; blocklist patterns (few) with the CRM refresh's matcher."""
    rows = plan_rows.fullname
    connection.execute(sa.text(f"""
        UPDATE {rows} SET suppressed = true WHERE plan_id = :plan AND action IN ('add', 'update')
        AND email IN (SELECT address FROM {suppressions.fullname} WHERE NOT is_pattern)"""), {"plan": plan_id})
    patterns = connection.execute(
        sa.select(suppressions.c.address).where(suppressions.c.is_pattern)).scalars().all()
    if patterns:
        matcher = SuppressionMatcher((), patterns)
        candidates = connection.execute(sa.text(
            f"SELECT recipient_id, email FROM {rows} WHERE plan_id = :plan AND action IN ('add', 'update') "
            "AND NOT suppressed"), {"plan": plan_id}).all()
        matched = [recipient_id for recipient_id, email in candidates if email in matcher]
        if matched:
            connection.execute(
                sa.text(f"UPDATE {rows} SET suppressed = true WHERE plan_id = :plan AND recipient_id IN :ids")
                .bindparams(sa.bindparam("ids", expanding=True)), {"plan": plan_id, "ids": matched})


def _refresh_statistics(connection: sa.Connection, planned: int) -> None:
    """Apply's page queries are planned from these statistics: a million new rows must not look empty.
    A plan adding less than a tenth of the table leaves them (ANALYZE reads a sample: 0.1 s at 1 M rows)."""
    known = connection.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)"),
                               {"table": plan_rows.fullname}).scalar()
    if known is None or known <= 0 or planned > known / 10:
        connection.execute(sa.text(f"ANALYZE {plan_rows.fullname}"))


def make_plan(connection: sa.Connection, export: Export, audiences: Sequence[Audience], plan_id: str,
              at: dt.datetime, compare_all: bool = False) -> PlanCounts:
    """Write the plan's rows and inputs (inside the caller's transaction, which holds the export's lock)."""
    scope = choose_scope(connection, export, audiences, at, compare_all)
    if not scope.full:
        fill_changed_members(connection, export, scope, member_id_sql(export))
    compared = fill_desired(connection, export, audiences, only_changed=not scope.full)
    _insert_rows(connection, export, plan_id, only_changed=not scope.full)
    record_inputs(connection, export, plan_id, scope, compared)
    held_back = _hold_back(connection, export, plan_id, at)
    _flag_suppressed(connection, plan_id)
    counted = connection.execute(sa.text(  # one pass over the plan's rows for both counts
        f"SELECT action, count(*), count(CASE WHEN suppressed THEN 1 END) FROM {plan_rows.fullname} "
        "WHERE plan_id = :plan GROUP BY action"), {"plan": plan_id}).all()
    actions = {action: rows for action, rows, _ in counted}
    suppressed = sum(flagged for _, _, flagged in counted)
    if connection.dialect.name == "postgresql":
        _refresh_statistics(connection, sum(actions.values()))
    connection.execute(sa.text(f"DROP TABLE {DESIRED}"))
    connection.execute(sa.text(f"DROP TABLE IF EXISTS {CHANGED}"))
    return PlanCounts(scope, compared, {a: int(actions.get(a, 0)) for a in ACTIONS}, int(held_back), suppressed)
