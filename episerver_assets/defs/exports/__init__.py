"""Export Audiences (seed 000): audiences into Campaign recipient lists, a plan before every write."""
