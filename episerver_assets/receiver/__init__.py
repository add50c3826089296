"""The webhook receiver: an HTTP service that lands Campaign's webhook events in a durable store.

`config` reads its settings, `auth` checks each request, `intake` reads and validates bodies,
`landing_store` and `group_commit` make each acknowledged request durable, `app` ties them into a
Starlette application and `server` runs it under uvicorn.
"""
