"""asyncio servers around the sans-IO cores. They move bytes; the cores decide."""
