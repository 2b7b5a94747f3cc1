"""The page `faas serve` shows: its routes, its live feed and its static files."""
