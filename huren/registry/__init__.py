"""huren."""
