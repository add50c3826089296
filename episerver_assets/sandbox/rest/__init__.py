"""The pieces of the sandbox's Campaign REST API; `episerver_assets.sandbox.rest_app` assembles them."""
