"""The CRM full refresh (seed 003): suppressions first, then one opt-in's CRM recipients replace a list."""
