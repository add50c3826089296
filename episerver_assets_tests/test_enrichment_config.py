"""The enrichments file: every refusal names the file, the line and the key; a template Jsonnet refuses
fails the load with the template's name and Jsonnet's message; secrets never live in the file."""

from __future__ import annotations

import pytest

from episerver_assets.defs.enrichment.config import (
    EnrichmentConfigError, check_source_audiences, load_enrichments,
)
from episerver_assets.defs.enrichment.templates import render_batch

from .enrichment_support import enrichments_file


def _edited(tmp_path, old: str, new: str):
    path = enrichments_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def test_the_sandbox_file_loads_and_the_seed_template_renders_per_profile():
    (enrichment,) = load_enrichments()
    assert (enrichment.source_audience, enrichment.map, enrichment.authorization.request_params) == (
        "email_without_uuid", {"uuid": "enrichment_uuid"}, {"access_token": "{token}"})
    payloads = render_batch(enrichment.slug, enrichment.template, enrichment.fields,
                            [{"email": "ann@example.com"}, {"email": None}])
    assert payloads == [{"email": "ann@example.com", "sourceCode": {"keyName": "episerver-assets-sandbox"}},
                        {"email": "", "sourceCode": {"keyName": "episerver-assets-sandbox"}}]


def test_a_template_jsonnet_cannot_compile_fails_the_load_naming_it_and_jsonnets_message(tmp_path):
    path = _edited(tmp_path, '"sourceCode": {"keyName": "tests"}', '"sourceCode": {"keyName": }')
    with pytest.raises(EnrichmentConfigError) as refused:
        load_enrichments(path)
    message = str(refused.value)
    assert message.startswith(f"{path}, line {_line_of(path, 'template: |')}, column 5: enrichments.0.template: ")
    assert "template tests_uuid: STATIC ERROR: tests_uuid:4:" in message and "unexpected" in message


def test_a_template_reading_a_field_not_chosen_fails_the_load(tmp_path):
    path = _edited(tmp_path, 'event.get("email", "")', 'event.get("first_name", "")')
    with pytest.raises(EnrichmentConfigError, match=r'RUNTIME ERROR: event.get: "first_name" is not among'):
        load_enrichments(path)


def test_templates_failing_for_one_profile_fail_only_that_profile():
    template = 'local event = (import "lytemplates.libsonnet"); {n: event.get("opens", 0) * 2}'
    first, second = render_batch("counts", template, ["opens"], [{"opens": 2}, {"opens": "two"}])
    assert first == {"n": 4} and "template counts: RUNTIME ERROR" in str(second)


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("      client_secret_env: TESTS_ENRICHMENT_SECRET",
     "      client_secret_env: TESTS_ENRICHMENT_SECRET\n      client_secret: hunter2-in-the-file",
     "enrichments.0.authorization.client_secret", "secrets do not belong in the file"),
    ("    fields: [email]", "    fields: [email, shoe_size]", "enrichments.0.fields", "not profile columns: shoe_size"),
    ("      uuid: enrichment_uuid", "      uuid: opens", "enrichments.0.map.uuid", "already a column"),
    ("    stream: tests_users", "    stream: Tests-Users", "enrichments.0.stream", "should match pattern"),
    ("    concurrency: 4", "    concurrency: 400", "enrichments.0.concurrency", "less than or equal to 64"),
    ("    stream: tests_users", "    stream: tests_users\n    streem: x", "enrichments.0.streem", "Extra inputs"),
])
def test_refusals_name_file_line_and_key(tmp_path, old, new, key, words):
    path = _edited(tmp_path, old, new)
    with pytest.raises(EnrichmentConfigError) as refused:
        load_enrichments(path)
    message = str(refused.value)
    assert message.startswith(f"{path}, line ") and f": {key}: " in message and words in message
    assert "hunter2-in-the-file" not in message
    line = int(message.split(", line ")[1].split(",")[0])
    assert key.rsplit(".", 1)[1] in path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_an_unknown_source_audience_is_refused_with_the_known_ones(tmp_path):
    enrichments = load_enrichments(enrichments_file(tmp_path))
    with pytest.raises(EnrichmentConfigError, match=r"source_audience: no audience 'email_without_uuid'.*"
                                                    r"known: engaged_openers"):
        check_source_audiences(enrichments, {"engaged_openers"})


def test_an_unset_url_variable_is_named_when_the_enrichment_runs(tmp_path, monkeypatch):
    path = _edited(tmp_path, "${EPISERVER_ENRICHMENT_SANDBOX_URL}/service", "${TESTS_NOWHERE_URL}/service")
    monkeypatch.delenv("TESTS_NOWHERE_URL", raising=False)
    (enrichment,) = load_enrichments(path)
    with pytest.raises(EnrichmentConfigError, match=r"enrichment tests_uuid, key url \(line 2\): environment "
                                                    r"variable TESTS_NOWHERE_URL is not set"):
        enrichment.expanded("url", enrichment.url)
