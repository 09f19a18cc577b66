"""Seals: images (rendered, handwritten, extracted from photos) and the seal records' rules."""
