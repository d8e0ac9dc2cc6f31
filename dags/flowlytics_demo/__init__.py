"""Helpers for the Flowlytics demo DAGs: CSV steps and an operator that reports real lineage."""
