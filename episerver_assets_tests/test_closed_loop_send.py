"""Closed-loop send against the sandbox: the exact file, temporary name then rename, the import's outcome."""

from __future__ import annotations

import paramiko

from episerver_assets.campaign.sftp import temporary_name

from .closed_loop_send_runs import (
    LIST_ID, failure_of, importer, ledger_rows, metadata_of, send, upload_dir,  # noqa: F401  (fixtures)
)

ROWS = [
    {"Email": "zoe@example.com", "Salutation": "Frau", "First name": 'Zoë "Z"', "Last name": "Øster; Söhne",
     "Lieblingsfarbe": "blau"},
    {"Email": "max@example.com", "Last name": "Müller"},
]
EXPECTED = (
    '"Email";"broadmail_ID";"WAVE_ID";"Salutation";"First name";"Last name";"Lieblingsfarbe"\n'
    '"zoe@example.com";"44001000000";"46623317811";"Frau";"Zoë ""Z""";"Øster; Söhne";"blau"\n'
    '"max@example.com";"44001000000";"46623317811";"";"";"Müller";""\n'
).encode("utf-8")


def test_a_send_uploads_the_exact_file_under_a_temporary_name_and_records_the_import(
    sandbox, importer, upload_dir, send, duckdb_url, monkeypatch
):
    listings_at_rename: list[dict[str, int]] = []
    real_rename = paramiko.SFTPClient.posix_rename

    def spying_rename(sftp, old, new):
        listings_at_rename.append({p.name: p.stat().st_size for p in upload_dir.iterdir() if p.is_file()})
        return real_rename(sftp, old, new)

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", spying_rename)

    result = send("send-1", ROWS, wave_id=46623317811,
                  personalisation_fields=[{"name": "Lieblingsfarbe"}])

    assert result.success
    metadata = metadata_of(result)
    name = metadata["file_name"]
    assert (upload_dir / "processed" / name).read_bytes() == EXPECTED
    assert listings_at_rename == [{temporary_name(name): len(EXPECTED)}]
    assert (metadata["import_status"], metadata["import_rows"], metadata["import_added"]) == ("processed", 2, 2)
    assert metadata["ignored_columns"] == "Lieblingsfarbe"  # the sandbox's list has no such field
    stored = sandbox.state.client(1000).lists[LIST_ID].recipients["zoe@example.com"].attributes
    assert (stored["firstname"], stored["lastname"]) == ('Zoë "Z"', "Øster; Söhne")
    [row] = ledger_rows(duckdb_url)
    assert (row["send_id"], row["file_name"], row["status"], row["rows"]) == ("send-1", name, "processed", 2)
    assert '"added": 2' in row["import_counts"]


def test_an_error_file_fails_the_materialization_with_its_content(importer, upload_dir, send, duckdb_url):
    result = send("bad-mailing", [{"Email": "a@example.com"}], broadmail_id=44001999999)

    assert not result.success
    [row] = ledger_rows(duckdb_url)
    message = failure_of(result)
    assert f"{row['file_name']}: line 2: broadmail_ID 44001999999 is not a known source mailing" in message
    assert row["status"] == "failed" and "not a known source mailing" in row["error"]
    assert (upload_dir / "error" / row["file_name"]).is_file()

