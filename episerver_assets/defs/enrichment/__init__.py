"""Webhook user enrichment: members of a source audience are sent to an OAuth2-protected endpoint,
the answers land in `enrichment.<stream>` and chosen response fields flow back into the profiles."""
