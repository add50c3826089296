"""The notifications file: checked when the code location loads, every error naming file, position and key."""

from __future__ import annotations

import pytest

from episerver_assets.notifications import NotificationsConfigError
from episerver_assets.notifications.config import load_notifications_config
from episerver_assets.notifications.sink_run_log import RunLogSink

from .notifications_support import configure, notify_from_asset, webhook_server  # noqa: F401 (fixture)

BROKEN_TEMPLATE = """\
templates:
  clear_refused:
    subject: fine
    body: |
      Hello
      {{ if eq .subscriber_status subscribed” }}You are a subscriber!{{ end }}
"""


def test_without_a_file_only_the_run_log_gets_notified():
    config, templates = load_notifications_config(None)
    assert config.sinks == [RunLogSink()]
    assert templates["clear_refused"][0].render({"asset": "a", "recipient_list_id": 7}) == \
        "a: refused to clear recipient list 7"


def test_a_template_that_does_not_parse_names_file_key_and_position(tmp_path):
    path = tmp_path / "notifications.yaml"
    path.write_text(BROKEN_TEMPLATE, encoding="utf-8")
    with pytest.raises(NotificationsConfigError) as raised:
        load_notifications_config(path)
    assert str(raised.value) == (f"{path}, line 4, column 5: template clear_refused.body: line 2, column 39: "
                                 "bad character U+201D '”'")


def test_the_code_location_does_not_load_with_a_broken_template(tmp_path, monkeypatch):
    from episerver_assets.definitions import build_definitions

    configure(tmp_path, monkeypatch, BROKEN_TEMPLATE)
    with pytest.raises(Exception) as raised:
        build_definitions()
    chain = []
    error: BaseException | None = raised.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, NotificationsConfigError) and "template clear_refused.body: line 2, column 39" in str(e)
               for e in chain)


@pytest.mark.parametrize(("text", "where", "problem"), [
    ("sinks:\n  - type: webhook\n    url: http://127.0.0.1:9/x\n    timout_seconds: 3\n",
     "line 4, column 5, sinks.0.timout_seconds", "Extra inputs are not permitted"),
    ("sinks:\n  - type: webhook\n    url: ftp://example.com/x\n", "line 3, column 5, sinks.0.url",
     "must be an http:// or https:// URL with a host"),
    ("sinks:\n  - type: pager\n", "line 2, column 5, sinks.0", "does not match any of the expected tags"),
    ("templates:\n  refused_plan:\n    subject: x\n", "line 2, column 3, templates.refused_plan",
     "Input should be 'import_failed', 'plan_refused'"),
    ("sinks:\n  - type: email\n    host: smtp.example.com\n    sender: a@example.com\n    recipients: []\n",
     "line 5, column 5, sinks.0.recipients", "List should have at least 1 item"),
    ("templates: [\n", "line 2, column 1", "not valid YAML"),
])
def test_a_broken_file_names_position_and_key(tmp_path, text, where, problem):
    path = tmp_path / "notifications.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NotificationsConfigError) as raised:
        load_notifications_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}, {where}"), message
    assert problem in message


def test_a_sink_receives_only_its_kinds(tmp_path, monkeypatch, webhook_server):
    url, webhook = webhook_server
    configure(tmp_path, monkeypatch, f"sinks:\n  - type: webhook\n    url: {url}/x\n    kinds: [import_failed]\n")
    assert notify_from_asset("clear_refused", {"error": "empty"})[0].success
    assert webhook.requests == []
    assert notify_from_asset("import_failed", {"error": "2 files"})[0].success
    assert [r["json"]["kind"] for r in webhook.requests] == ["import_failed"]
