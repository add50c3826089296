"""One run per enrichment at a time: two runs would both find the same members due and send them twice."""

from __future__ import annotations

from contextlib import AbstractContextManager

from ...warehouse import WarehouseResource
from ...warehouse.run_lock import RunBusyError, exclusive_run


class EnrichmentBusyError(RunBusyError):
    pass


def enrichment_run_lock(warehouse: WarehouseResource, slug: str) -> AbstractContextManager[None]:
    """A second run of the enrichment fails at once with EnrichmentBusyError, naming it."""
    return exclusive_run(warehouse, "enrichment", slug, EnrichmentBusyError)
