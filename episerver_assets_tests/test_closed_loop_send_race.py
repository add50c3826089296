"""Two processes running the same closed-loop send at once (two runs given one send id) put the file on the
server once and record one outcome, on both engines: the send's run lock admits one of them to the upload;
the other fails at once, uploading nothing (or, coming later, finds the send uploaded and waits for its
outcome)."""

from __future__ import annotations

import posixpath

from episerver_assets.sandbox.sftp_server import _ChrootedSftp

from .closed_loop_send_runs import CLIENT, importer, ledger_rows  # noqa: F401 - fixture
from .process_race import race

SEND_ID = "race-1"
ROWS = [{"Email": f"race{n}@example.com", "First name": "Ada"} for n in range(20)]


def _send(warehouse_url: str, start, results) -> None:
    import dagster as dg

    from episerver_assets.campaign.sftp import CampaignSftpResource
    from episerver_assets.defs.closed_loop_send import assets
    from episerver_assets.warehouse import WarehouseResource

    from .closed_loop_send_runs import OP, metadata_of

    try:
        start.wait(timeout=60)
        result = dg.materialize(
            [assets.subscribers_upload], raise_on_error=False,
            resources={"warehouse": WarehouseResource(url=warehouse_url), "sftp": CampaignSftpResource.from_env()},
            run_config={"ops": {OP: {"config": {"send_id": SEND_ID, "rows": ROWS, "poll_seconds": 0.05,
                                                "outcome_timeout_seconds": 20.0}}}})
        if result.success:
            metadata = metadata_of(result)
            results.put(("ok", metadata["file_name"], metadata["import_status"]))
        else:
            [failure] = [event for event in result.all_events if event.is_step_failure]
            error, causes = failure.step_failure_data.error, []
            while error is not None:
                causes.append(error)
                error = error.cause
            busy = [cause for cause in causes if cause.cls_name == "RunBusyError" and SEND_ID in cause.message]
            results.put(("failed", "busy" if busy else causes[-1].message, None))
    except Exception as error:  # reported to the test, which fails on it
        results.put((f"{type(error).__name__}: {error}", None, None))


def test_two_processes_running_one_send_upload_it_once(sandbox, sandbox_env, importer, warehouse_url, monkeypatch):
    renamed_to: list[str] = []
    for method in ("rename", "posix_rename"):
        server_rename = getattr(_ChrootedSftp, method)

        def counting(server, oldpath, newpath, server_rename=server_rename):
            renamed_to.append(posixpath.basename(newpath.decode()))
            return server_rename(server, oldpath, newpath)

        monkeypatch.setattr(_ChrootedSftp, method, counting)

    outcomes = race(_send, warehouse_url)

    [row] = ledger_rows(warehouse_url)
    done = ("ok", row["file_name"], "processed")
    losers = [outcome for outcome in outcomes if outcome != done]
    assert losers in ([], [("failed", "busy", None)])
    assert renamed_to == [row["file_name"]]
    assert row["status"] == "processed" and row["send_id"] == SEND_ID
    processed = sandbox.directories[CLIENT].upload / "processed"
    assert [path.name for path in processed.iterdir()] == [row["file_name"]]
