"""Audience filters: a SQL boolean expression, checked with sqlglot and rendered for each engine.

A filter may use only columns of the two joined tables (`profile.<column>` of profiles.user_profiles,
`contact.<column>` of crm.contacts; unqualified where the name is in one table only), literals,
comparisons (`= <> < <= > >=`, BETWEEN, LIKE, ILIKE), AND / OR / NOT, `IS [NOT] NULL`, `IN (list)`,
arithmetic (`now() - interval '30 days'`), casts to plain types and the functions in FUNCTIONS.
Anything else (a subquery, another table, a statement, an unknown column or function) is refused with
the token that caused it and its offset in the filter text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

READ_DIALECT = "postgres"
"""How filters are read: PostgreSQL's syntax, which DuckDB's largely follows (`now()`, `::date`)."""
ENGINE_DIALECTS = {"duckdb": "duckdb", "postgresql": "postgres"}
TABLE_ALIASES = {"profile": "p", "contact": "c"}
"""The qualifier a filter writes -> the alias the membership query gives the table."""

FUNCTIONS: dict[type[exp.Expression], str] = {
    exp.Lower: "lower", exp.Upper: "upper", exp.Coalesce: "coalesce", exp.Length: "length",
    exp.Trim: "trim", exp.Abs: "abs", exp.CurrentTimestamp: "now / current_timestamp",
    exp.CurrentDate: "current_date",
}
_LOGIC = (exp.And, exp.Or, exp.Not, exp.Paren)
_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between, exp.Like,
               exp.ILike, exp.NullSafeEQ, exp.NullSafeNEQ)
_VALUES = (exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Add, exp.Sub, exp.Mul, exp.Div,
           exp.Neg, exp.Interval, exp.Cast, exp.DataType)
CAST_TYPES = {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ,
              exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.BIGINT,
              exp.DataType.Type.INT, exp.DataType.Type.DOUBLE, exp.DataType.Type.BOOLEAN}


class FilterError(ValueError):
    """A refused filter: `token` is the offending text, `offset` where it starts in the filter."""

    def __init__(self, problem: str, token: str, offset: int | None):
        super().__init__(problem)
        self.problem, self.token, self.offset = problem, token, offset


@dataclass(frozen=True)
class CheckedFilter:
    text: str
    expression: exp.Expression
    """Columns qualified with the membership query's aliases (`p.opens`, `c.entity_type`)."""

    def sql(self, engine: str) -> str:
        """The filter in the engine's SQL (`duckdb` or `postgresql`)."""
        return self.expression.sql(dialect=ENGINE_DIALECTS[engine])


def _start(node: exp.Expression) -> int | None:
    """Offset of the first token sqlglot kept a position for, in `node` or below."""
    for candidate in node.walk():
        if "start" in candidate.meta:
            return candidate.meta["start"]
    return None


def _source(text: str, node: exp.Expression) -> str | None:
    """The node's own token as the filter spells it, where sqlglot kept its position."""
    return text[node.meta["start"]:node.meta["end"] + 1] if "start" in node.meta else None


def _keyword_offset(text: str, keyword: str, before: int | None) -> int | None:
    """Where a keyword token (SELECT, DROP, ...) that sqlglot keeps no position for starts."""
    try:
        tokens = sqlglot.tokenize(text, read=READ_DIALECT)
    except TokenError:
        return None
    starts = [t.start for t in tokens if t.text.upper() == keyword.upper()]
    earlier = [s for s in starts if before is None or s <= before]
    if earlier:
        return earlier[-1]  # the keyword that opens the refused part, just before its first positioned token
    return starts[0] if starts else None


def _refuse(text: str, problem: str, node: exp.Expression, token: str | None = None,
            keyword: str | None = None) -> FilterError:
    """Point at `token` (where the node starts) or at a `keyword` (default: the node's own, DROP, INSERT),
    which sqlglot keeps no position for."""
    if token is None or _start(node) is None:
        keyword = keyword or token or node.key.upper()
    if keyword:
        return FilterError(problem, keyword, _keyword_offset(text, keyword, _start(node)))
    return FilterError(problem, token, _start(node))


def _parse(text: str) -> exp.Expression:
    try:
        statements = sqlglot.parse(text, read=READ_DIALECT)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        token = first.get("highlight") or text.strip()[:20]
        line_start = sum(len(line) + 1 for line in text.split("\n")[: first.get("line", 1) - 1])
        offset = line_start + first.get("col", len(token)) - len(token) if first else None
        problem = re.sub(r"<class '[\w.]+\.(\w+)'>", r"\1", str(first.get("description", error)))
        raise FilterError(f"not valid SQL: {problem}", token, offset) from None
    except TokenError as error:
        raise FilterError(f"not valid SQL: {error}", text.strip()[:20], None) from None
    statements = [s for s in statements if s is not None]
    if not statements:
        raise FilterError("the filter is empty", "", 0)
    if len(statements) > 1:
        raise _refuse(text, "one expression only, not several statements", statements[1])
    return statements[0]


def _qualified(text: str, column: exp.Column, columns: dict[str, frozenset[str]]) -> exp.Column:
    name, table = column.name, column.table
    if column.args.get("db") or column.args.get("catalog") or (table and table not in columns):
        raise _refuse(text, f"refers to another table ({column.sql()}): only "
                            f"{' and '.join(f'{t}.<column>' for t in columns)}", column, column.sql())
    holders = [table] if table else [t for t, names in columns.items() if name in names]
    if not holders or name not in columns[holders[0]]:
        raise _refuse(text, f"unknown column {column.sql()}", column, column.sql())
    if len(holders) > 1:
        raise _refuse(text, f"column {name} is in {' and '.join(holders)}: write "
                            f"{' or '.join(f'{t}.{name}' for t in holders)}", column, name)
    return exp.column(name, table=TABLE_ALIASES[holders[0]])


def _check_node(text: str, node: exp.Expression) -> None:
    if isinstance(node, exp.Select | exp.Subquery | exp.Query | exp.Exists):
        raise _refuse(text, "subqueries are not allowed", node,
                      keyword="EXISTS" if isinstance(node, exp.Exists) else "SELECT")
    if isinstance(node, exp.DataType) and node.this not in CAST_TYPES:
        raise _refuse(text, f"cast to {node.sql()} is not allowed", node, node.sql())
    if isinstance(node, exp.Var) and not isinstance(node.parent, exp.Interval):
        raise _refuse(text, f"unknown name {node.name}", node, node.name)
    if isinstance(node, (*_LOGIC, *_PREDICATES, *_VALUES, *FUNCTIONS, exp.Var)):
        return
    if isinstance(node, exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        raise _refuse(text, f"function {name.lower()} is not allowed; allowed: {', '.join(FUNCTIONS.values())}",
                      node, _source(text, node) or name)
    raise _refuse(text, f"{node.key.upper()} is not allowed in a filter", node)


def check_filter(text: str, columns: dict[str, frozenset[str]]) -> CheckedFilter:
    """Parse and check a filter against `columns` (qualifier -> column names); FilterError if refused."""
    tree = _parse(text)
    for node in tree.walk():
        _check_node(text, node)
    if not isinstance(tree.unnest(), (*_LOGIC, *_PREDICATES, exp.Boolean)):
        raise _refuse(text, "the filter must be a condition (a comparison, IS, IN, ...), not a value", tree,
                      tree.sql())
    qualified = tree.transform(lambda n: _qualified(text, n, columns) if isinstance(n, exp.Column) else n)
    return CheckedFilter(text, qualified)
