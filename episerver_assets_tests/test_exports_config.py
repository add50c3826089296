"""The exports file: the shipped one loads; every mistake fails with file, line, column and the export."""

from __future__ import annotations

import pytest

from episerver_assets.defs.exports.config import ExitBehaviour, ExportsConfigError, load_exports

AUDIENCES = {"openers", "clickers"}


def write(tmp_path, body: str):
    path = tmp_path / "exports.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_shipped_file_loads_against_the_shipped_audiences():
    exports = load_exports()
    assert [e.name for e in exports] == ["engaged_newsletter", "leads_mirror"]
    assert exports[0].membership_field == "audiences" and exports[0].field_mapping
    assert exports[1].exit == ExitBehaviour.REMOVE_WHEN_NO_AUDIENCE_LEFT


def test_defaults(tmp_path):
    [export] = load_exports(write(tmp_path, "exports:\n  - {name: a, audiences: [openers], recipient_list_id: 5}\n"),
                            AUDIENCES)
    assert (export.identifier, export.membership_field, export.separator, export.exit) == (
        "email", None, ", ", ExitBehaviour.UPDATE_FIELD)
    assert export.list_fields_written() == []


@pytest.mark.parametrize("body, expected", [
    ("exports:\n  - name: a\n    audiences: [openers, nobody]\n    recipient_list_id: 5\n",
     "line 3, column 26: export a: unknown audience 'nobody'"),
    ("exports:\n  - name: a\n    audiences: [openers]\n    recipient_list_id: 5\n    field_mapping:\n"
     "      password_hash: pw\n", "line 6, column 7: export a: field_mapping: 'password_hash' is not a "
                                 "profiles.user_profiles column"),
    ("exports:\n  - name: a\n    audiences: [openers]\n    recipient_list_id: 5\n    membership_field: x\n"
     "    field_mapping:\n      email: x\n", "line 7, column 7: export a: field_mapping: list field 'x' is written twice"),
    ("exports:\n  - {name: a, audiences: [openers], recipient_list_id: 5}\n"
     "  - {name: a, audiences: [clickers], recipient_list_id: 6}\n", "line 3, column 6: export name 'a' is used twice"),
    ("exports:\n  - {name: a, audiences: [openers], recipient_list_id: 5, exit: delete_everyone}\n",
     "line 2, column 59: exports.0.exit: Input should be 'update_field' or 'remove_when_no_audience_left'"),
    ("exports:\n  - {name: a, audiences: [openers], recipient_list_id: 5, colour: red}\n",
     "line 2, column 59: exports.0.colour: Extra inputs are not permitted"),
    ("exports:\n  - {name: A-1, audiences: [openers], recipient_list_id: 5}\n", "exports.0.name: String should match"),
    ("exports:\n  - {name: a, audiences: [openers], recipient_list_id: 5, identifier: shoe_size}\n",
     "export a: identifier 'shoe_size' is not a profiles.user_profiles column"),
])
def test_mistakes_name_file_line_column_and_export(tmp_path, body, expected):
    path = write(tmp_path, body)
    with pytest.raises(ExportsConfigError) as error:
        load_exports(path, AUDIENCES)
    message = str(error.value)
    assert message.startswith(str(path)) and expected in message, message
    assert "\n" not in message
