"""The run lock admits one holder per (kind, name) on both engines, whatever characters the name holds."""

from __future__ import annotations

import pytest

from episerver_assets.warehouse import WarehouseResource
from episerver_assets.warehouse.run_lock import RunBusyError, exclusive_run


def test_a_second_holder_of_a_name_with_a_slash_is_turned_away(warehouse_url):
    warehouse = WarehouseResource(url=warehouse_url)
    with exclusive_run(warehouse, "closed-loop send", "team/a send"):
        with pytest.raises(RunBusyError, match="closed-loop send team/a send is being run already"):
            with exclusive_run(warehouse, "closed-loop send", "team/a send"):
                pass
        with exclusive_run(warehouse, "closed-loop send", "team/another send"):
            pass
    with exclusive_run(warehouse, "closed-loop send", "team/a send"):
        pass
    warehouse.engine.dispose()
