"""Training core: torch and numpy only, never Qt."""
