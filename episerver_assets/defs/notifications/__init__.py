"""Notifications (`episerver_assets.notifications`): their configuration is checked when the code location loads."""
