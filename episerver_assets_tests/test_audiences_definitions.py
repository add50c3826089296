"""Audience definitions refused at load: each kind of bad filter or entry, with file, line, audience, token."""

from __future__ import annotations

import re

import pytest

from episerver_assets.defs.audiences.config import AudiencesConfigError, load_audiences

from .audiences_support import write_audiences

HEAD = """\
audiences:
  - name: Fine
    slug: fine
    filter: opens > 0
  - name: Suspect
    slug: suspect
"""
FILTER_LINE = 7


def _refusal(tmp_path, body: str) -> str:
    path = write_audiences(tmp_path, body)
    with pytest.raises(AudiencesConfigError) as raised:
        load_audiences(path)
    message = str(raised.value)
    assert message.startswith(f"{path}, line "), message
    assert "\n" not in message
    return message


def _position(message: str) -> tuple[int, int]:
    line, column = re.search(r", line (\d+), column (\d+): ", message).groups()
    return int(line), int(column)


@pytest.mark.parametrize(("filter_yaml", "line", "column", "token", "problem"), [
    ("opens IN (SELECT 1 FROM crm.contacts)", 0, 23, "SELECT", "subqueries are not allowed"),
    ("opens = 1 AND EXISTS (SELECT 1)", 0, 27, "EXISTS", "subqueries are not allowed"),
    ("secret.users.opens = 1", 0, 13, "secret.users.opens", "refers to another table"),
    ("x.opens = 1", 0, 13, "x.opens", "refers to another table"),
    ("opens = 1; DROP TABLE profiles.user_profiles", 0, 24, "DROP", "one expression only"),
    ("DELETE FROM profiles.user_profiles", 0, 13, "DELETE", "DELETE is not allowed"),
    ("|\n      opens > 1\n      AND shoe_size = 44", 2, 11, "shoe_size", "unknown column shoe_size"),
    ("contact.shoe_size = 44", 0, 13, "contact.shoe_size", "unknown column contact.shoe_size"),
    ("opens > 1 AND pg_sleep(10) IS NULL", 0, 27, "pg_sleep", "function pg_sleep is not allowed"),
    ("max(opens) > 1", 0, 13, "max", "function max is not allowed"),
    ("email = 'ann@example.com'", 0, 13, "email", "write profile.email or contact.email"),
    ("opens = = 1", 0, 21, "=", "not valid SQL"),
    ("coalesce(opens, 0)", 0, 13, "COALESCE(opens, 0)", "must be a condition"),
    ("opens > 1\n      AND\n      lower(city) = upper(nonsense)", 2, 27, "nonsense", "unknown column nonsense"),
])
def test_refused_filter_names_file_line_audience_and_token(tmp_path, filter_yaml, line, column, token, problem):
    message = _refusal(tmp_path, HEAD + f"    filter: {filter_yaml}\n")
    assert _position(message) == (FILTER_LINE + line, column), message
    assert ": audience suspect: filter: " in message
    assert problem in message
    assert message.endswith(f"(at {token!r})")


@pytest.mark.parametrize(("entry", "where", "problem"), [
    ("    slug: fine\n    filter: opens > 1\n", (6, 5), "slug 'fine' is used by an earlier audience"),
    ("    slug: Not-A-Slug\n    filter: opens > 1\n", (6, 5), "audiences.1.slug: String should match pattern"),
    ("    slug: extra\n    filter: opens > 1\n    filters: typo\n", (8, 5), "audiences.1.filters: Extra inputs"),
    ("    slug: nofilter\n", (5, 5), "audiences.1.filter: Field required"),
])
def test_refused_entries_name_the_line_and_key(tmp_path, entry, where, problem):
    body = HEAD.split("    slug: suspect\n")[0] + entry
    message = _refusal(tmp_path, body)
    assert _position(message) == where, message
    assert problem in message


def test_accepted_filters_cover_the_whitelist(tmp_path):
    body = HEAD + """    filter: >-
      (lower(trim(contact.email)) LIKE '%@example.com' OR upper(city) ILIKE 'WIEN')
      AND coalesce(clicks, 0) BETWEEN 1 AND 10 AND length(first_name) <> 3
      AND ep_lastopen_ts >= now() - INTERVAL '30 days' AND ep_created_date < current_timestamp
      AND last_bounce_ts IS NULL AND contact.entity_type IN ('lead', 'contact') AND NOT unsubscribes > 0
      AND CAST(ep_modified_date AS DATE) <= current_date AND abs(opens - clicks) * 2 / 1 >= -1
"""
    audiences = load_audiences(write_audiences(tmp_path, body))
    assert [a.slug for a in audiences] == ["fine", "suspect"]
    assert "c.email" in audiences[1].filter.sql("postgresql") and "p.clicks" in audiences[1].filter.sql("duckdb")


def test_the_shipped_sandbox_audiences_load():
    assert len(load_audiences()) >= 2


def test_the_file_comes_from_episerver_audiences_config(tmp_path, monkeypatch):
    path = write_audiences(tmp_path, HEAD + "    filter: contact.entity_type = 'lead'\n")
    monkeypatch.setenv("EPISERVER_AUDIENCES_CONFIG", str(path))
    assert [a.slug for a in load_audiences()] == ["fine", "suspect"]
    monkeypatch.setenv("EPISERVER_AUDIENCES_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(AudiencesConfigError, match=r"^EPISERVER_AUDIENCES_CONFIG: cannot read .*missing\.yaml"):
        load_audiences()
