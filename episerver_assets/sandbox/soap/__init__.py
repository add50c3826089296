"""Pieces of the sandbox's SOAP API; ``episerver_assets.sandbox.soap_app`` assembles them."""
