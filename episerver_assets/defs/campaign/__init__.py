"""Recipients imported from Campaign recipient lists over REST (seed 000, "Import Recipients")."""
