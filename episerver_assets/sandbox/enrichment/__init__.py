"""The sandbox's enrichment service (seed 002's Ansira): an OAuth 2.0 token endpoint and
`POST /service/api/v2/user`, mounted by the server at `/enrichment`."""

from .app import EnrichmentService, build_enrichment_app

__all__ = ["EnrichmentService", "build_enrichment_app"]
