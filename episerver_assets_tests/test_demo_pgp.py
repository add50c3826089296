"""The demo's PGP: its sandbox delivers the newest day encrypted to a key pair made for the demo, and
the product, given that pair through its settings, loads the day and sends encrypted."""

from __future__ import annotations

import datetime as dt

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.commands.demo import demo_sandbox_config
from episerver_assets.commands.demo_pgp import demo_pgp
from episerver_assets.defs.closed_loop.day_load import load_days
from episerver_assets.defs.closed_loop.loading import LoadedFile
from episerver_assets.sandbox.server import Sandbox
from episerver_assets.warehouse import WarehouseResource

TODAY = dt.date(2026, 11, 20)


def test_the_demo_sandbox_encrypts_its_newest_day_and_the_product_loads_it(tmp_path, monkeypatch, duckdb_url):
    monkeypatch.setenv("EPISERVER_DATA_DIR", str(tmp_path / "data"))
    pgp = demo_pgp(tmp_path / "data")
    assert pgp.pair.passphrase and list((tmp_path / "data" / "demo-pgp").iterdir()) == []  # keyring gone
    config = demo_sandbox_config(days=2, seed=11, scale="small", today=TODAY, pgp=pgp.sandbox())
    with Sandbox(config) as sandbox:
        response = sandbox.client_dir(1000) / "response"
        names = sorted(p.name for p in response.iterdir() if p.is_file())
        newest, older = ([n for n in names if n.startswith(day)] for day in ("20261119_", "20261118_"))
        assert len(newest) == len(older) == 8
        assert all(n.endswith(".csv.pgp") for n in newest) and all(n.endswith(".csv") for n in older)
        for name, value in {**sandbox.info()["env"], **pgp.env()}.items():
            monkeypatch.setenv(name, value)
        outcomes = list(load_days(CampaignSftpResource.from_env(), WarehouseResource(url=duckdb_url),
                                  [dt.date(2026, 11, 19)]))
    assert all(isinstance(o, LoadedFile) and o.file.endswith(".csv.pgp") and o.rows >= 0 for o in outcomes), outcomes
    assert sum(o.rows for o in outcomes) > 0
