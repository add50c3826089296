"""Who is who: connected components over e-mail addresses and recipient ids, kept in `person_keys`.

Keys are `e:<lower-cased address>` and `r:<recipient id>`. Two keys are the same person when an event
or a recipient row carries both, transitively. A person's key (`person_key`) is the smallest key of
its component by code point, so the same records give the same key whatever order they arrived in,
and a full rebuild gives the keys an incremental merge gave. Addresses sort before recipient ids
(`e:` < `r:`), so a person's key changes only when an address sorting first joins it.

A build passes the keys it touched (`pf_nodes`) and the pairs it saw (`pf_edges`); each touched key
also links to the person it already belongs to, so joining two existing persons needs only their
smallest keys, not their whole history. Labels propagate (each key takes its neighbours' smallest
label, then its label's label) until nothing changes; the rounds grow with the longest chain of
keys, a handful in practice.
"""

from __future__ import annotations

import sqlalchemy as sa

from .dialect import Fragments, run, temp_table
from .tables import person_keys

MAX_ROUNDS = 1000


def resolve_persons(connection: sa.Connection, f: Fragments) -> int:
    """Assign every key in pf_nodes/pf_edges to its person; returns how many existing persons merged
    into another. Leaves pf_labels(node, label) and pf_moves(old_key, new_key) for the build."""
    keys = person_keys.fullname
    temp_table(connection, "pf_graph", f"""
        SELECT a, b FROM pf_edges
        UNION
        SELECT n.node, k.person_key FROM pf_nodes n JOIN {keys} k ON k.key = n.node
        WHERE k.person_key <> n.node""")
    temp_table(connection, "pf_links", "SELECT a, b FROM pf_graph UNION ALL SELECT b, a FROM pf_graph")
    temp_table(connection, "pf_labels", """
        SELECT node, node AS label FROM (SELECT node FROM pf_nodes UNION SELECT a FROM pf_links) AS n""")
    for _ in range(MAX_ROUNDS):
        spread = run(connection, f"""
            UPDATE pf_labels SET label = m.label
            FROM (SELECT l.a AS node, min(n.label{f.c}) AS label
                  FROM pf_links l JOIN pf_labels n ON n.node = l.b GROUP BY l.a) AS m
            WHERE pf_labels.node = m.node AND m.label{f.c} < pf_labels.label{f.c}""").rowcount
        jumped = run(connection, f"""
            UPDATE pf_labels SET label = j.label FROM pf_labels AS j
            WHERE pf_labels.label = j.node AND j.label{f.c} < pf_labels.label{f.c}""").rowcount
        if spread == 0 and jumped == 0:
            break
    else:
        raise RuntimeError(f"identity labels still changing after {MAX_ROUNDS} rounds")

    temp_table(connection, "pf_moves", f"""
        SELECT l.node AS old_key, l.label AS new_key FROM pf_labels l
        JOIN {keys} k ON k.key = l.node AND k.person_key = l.node
        WHERE l.label <> l.node""")
    run(connection, f"""
        UPDATE {keys} SET person_key = m.new_key FROM pf_moves AS m
        WHERE {keys}.person_key = m.old_key""")
    run(connection, f"DELETE FROM {keys} WHERE key IN (SELECT node FROM pf_labels)")
    run(connection, f"INSERT INTO {keys} (key, person_key) SELECT node, label FROM pf_labels")
    return int(run(connection, "SELECT count(*) FROM pf_moves").scalar())
