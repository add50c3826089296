"""Closed-loop send (seed 004, "Transferring recipient data"): a `YYYYMMDDHHMMSS_subscribers.csv` upload
that makes Campaign copy a source mailing and send it, with the import's outcome recorded."""
