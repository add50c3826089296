"""The recipients import's configuration file, column names, pass cadence, watermark and schedule."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from episerver_assets.defs.campaign.attribute_columns import safe_column_name
from episerver_assets.defs.campaign.import_state import (
    WATERMARK_MARGIN,
    ListState,
    needs_full_pass,
    next_watermark,
    record_pass,
)
from episerver_assets.defs.campaign.recipient_tables import episerver_recipients, import_state
from episerver_assets.defs.campaign.recipients_config import RecipientsConfigError, load_recipients_config
from episerver_assets.defs.campaign.recipients_schedule import campaign_recipients_daily

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 29, 4, 0, 5, tzinfo=UTC)


def _load(tmp_path, text: str):
    path = tmp_path / "recipients.yaml"
    path.write_text(text, encoding="utf-8")
    return path, lambda: load_recipients_config(path)


def test_a_full_file_with_per_list_and_global_attributes(tmp_path):
    _, load = _load(tmp_path, "lists:\n  - id: 11\n    attributes: [Vorname, PLZ/Ort]\n  - 12\n  - id: 13\n"
                              "    attributes: []\nattributes: [city]\nkeep_active: true\nfull_pass_every_days: 3\n")
    config = load()
    assert (config.keep_active, config.full_pass_every_days) == (True, 3)
    assert config.attributes_of(11) == ["Vorname", "PLZ/Ort"]
    assert config.attributes_of(12) == ["city"]
    assert config.attributes_of(13) == []
    assert config.columns() == {"Vorname": "attr_vorname", "PLZ/Ort": "attr_plz_ort", "city": "attr_city"}


def test_defaults_import_no_attributes_once_and_a_full_pass_weekly(tmp_path):
    config = _load(tmp_path, "lists: [11]\n")[1]()
    assert (config.attributes_of(11), config.keep_active, config.full_pass_every_days) == ([], False, 7)


@pytest.mark.parametrize(
    "text, where",
    [
        ("lists:\n  - id: abc\n", "line 2, column 5: lists[0].id: Input should be a valid integer"),
        ("lists: [1]\nkeep_activ: true\n", "line 2, column 1: keep_activ: Extra inputs are not permitted"),
        ("lists: [1]\nkeep_active: maybe\n", "line 2, column 1: keep_active: Input should be a valid boolean"),
        ("lists: [1, 1]\n", "line 1, column 1: lists: lists named twice: 1"),
        ("lists: []\n", "line 1, column 1: lists: List should have at least 1 item"),
        ("keep_active: true\n", "line 1, column 1: lists: Field required"),
        ("lists: [1]\nfull_pass_every_days: 0\n", "line 2, column 1: full_pass_every_days: Input should be greater"),
        ("lists:\n  - id: 1\n    attributes: [a, a]\n", "line 3, column 5: lists[0].attributes: attributes named twice"),
        ("lists: [1]\nattributes: ['***']\n", "line 2, column 1: attributes: field name '***' has no letters"),
        ("lists:\n  - id: 1\n    attributes: [First Name]\n  - id: 2\n    attributes: [x, first-name]\n",
         "line 5, column 21: lists[1].attributes[1]: fields 'First Name' and 'first-name' would both be stored "
         "in column 'attr_first_name'"),
        ("lists: [1, 2\n", "line 2, column 1: not valid YAML"),
        ("", ": expected a mapping with at least `lists`, got an empty file"),
    ],
)
def test_a_bad_file_is_one_error_naming_file_position_and_key(tmp_path, text, where):
    path, load = _load(tmp_path, text)
    with pytest.raises(RecipientsConfigError) as error:
        load()
    message = str(error.value)
    assert message.startswith(str(path)) and where in message, message
    assert "\n" not in message


def test_a_missing_file_names_the_setting_and_the_path(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.yaml"
    monkeypatch.setenv("EPISERVER_RECIPIENTS_CONFIG", str(missing))
    with pytest.raises(RecipientsConfigError, match=f"EPISERVER_RECIPIENTS_CONFIG: cannot read {missing}"):
        load_recipients_config()


def test_the_shipped_sandbox_file_is_valid(monkeypatch):
    monkeypatch.delenv("EPISERVER_RECIPIENTS_CONFIG", raising=False)
    config = load_recipients_config()
    assert config.keep_active and [s.id for s in config.lists] == [58001000000, 58001000001]


@pytest.mark.parametrize("name, column", [
    ("firstname", "attr_firstname"), ("First Name", "attr_first_name"), ("Größe", "attr_gro_e"),
    ("Café", "attr_cafe"), ("PLZ/Ort", "attr_plz_ort"), ("__x__", "attr_x"), ("2nd-line", "attr_2nd_line"),
])
def test_safe_column_names(name, column):
    assert safe_column_name(name) == column


def test_names_that_cannot_be_columns_are_refused():
    with pytest.raises(ValueError, match="no letters or digits"):
        safe_column_name("!!!")
    with pytest.raises(ValueError, match="longer than 63"):
        safe_column_name("x" * 60)


def _state(days_since_full: int, attributes=("city",)) -> ListState:
    return ListState(NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=days_since_full, seconds=-30), attributes)


def test_which_pass_a_list_gets():
    assert needs_full_pass(None, [], 7, NOW) == "first import"
    assert needs_full_pass(_state(1), ["city"], 7, NOW) is None
    assert needs_full_pass(_state(1), ["zip"], 7, NOW) == "the chosen attributes changed"
    # A run a few seconds earlier in the day than the last full pass still counts the calendar days.
    assert needs_full_pass(_state(7), ["city"], 7, NOW).startswith("the last full pass was 7 days ago")
    assert needs_full_pass(_state(6), ["city"], 7, NOW) is None


def test_the_watermark_never_passes_the_read_start_minus_the_margin_and_never_goes_back():
    started = NOW
    newest = NOW - dt.timedelta(minutes=1)
    assert next_watermark(None, newest, started) == started - WATERMARK_MARGIN
    older = NOW - dt.timedelta(days=2)
    assert next_watermark(None, older, started) == older
    assert next_watermark(NOW - dt.timedelta(days=1), older, started) == NOW - dt.timedelta(days=1)
    assert next_watermark(older, None, started) == older


def _schedule(tmp_path, monkeypatch, warehouse, text: str):
    path = tmp_path / "recipients.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("EPISERVER_RECIPIENTS_CONFIG", str(path))
    with dg.build_schedule_context(resources={"warehouse": warehouse}) as context:
        return campaign_recipients_daily(context)


def test_with_keep_active_the_schedule_runs_every_day(tmp_path, monkeypatch, warehouse):
    warehouse.ensure_table(episerver_recipients, import_state)
    with warehouse.begin() as connection:
        record_pass(connection, 11, _state(1), NOW)
    assert isinstance(_schedule(tmp_path, monkeypatch, warehouse, "lists: [11]\nkeep_active: true\n"), dg.RunRequest)


def test_without_keep_active_the_schedule_imports_each_list_once(tmp_path, monkeypatch, warehouse):
    first = _schedule(tmp_path, monkeypatch, warehouse, "lists: [11, 12]\n")
    assert isinstance(first, dg.RunRequest) and first.tags["first_import_of_lists"] == "11,12"
    warehouse.ensure_table(episerver_recipients, import_state)
    with warehouse.begin() as connection:
        record_pass(connection, 11, _state(1), NOW)
    assert _schedule(tmp_path, monkeypatch, warehouse, "lists: [11, 12]\n").tags["first_import_of_lists"] == "12"
    with warehouse.begin() as connection:
        record_pass(connection, 12, _state(1), NOW)
    skipped = _schedule(tmp_path, monkeypatch, warehouse, "lists: [11, 12]\n")
    assert isinstance(skipped, dg.SkipReason) and "keep_active is false" in skipped.skip_message
