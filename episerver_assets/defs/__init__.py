"""What Dagster loads: one folder per capability, each holding its assets, checks, sensors and jobs."""
