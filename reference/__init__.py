"""rtconform reference servers: strict, readable implementations on a sans-IO core."""
