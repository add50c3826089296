"""User profiles: one row per person, the seed's user fields computed inside the warehouse."""
