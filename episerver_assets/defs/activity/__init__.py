"""Campaign webhook activity: per-event normalisation helpers (assets and sensors come later)."""
