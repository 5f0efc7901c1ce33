"""``tokbench reproduce``: rebuild a published paper table and compare it cell by cell."""
