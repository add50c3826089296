"""The resources every capability shares, configured from the environment."""

from __future__ import annotations

from .settings import setting
from .warehouse import WarehouseResource


def shared_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(url=setting("EPISERVER_WAREHOUSE_URL")),
    }
