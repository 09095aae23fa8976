"""`mlgov data`: training data by DataZone subscription (the kit grants and revokes the read),
and approved model versions in the DataZone catalog. See docs/DATA.md and :mod:`.cli`."""
