"""Audiences as code: YAML-defined SQL filters over the user profiles and the CRM contacts, their
members and enter/exit history computed in the warehouse."""
