"""Run analytics as pure functions: time buckets, duration sketches, critical paths, error fingerprints, cost.

Nothing here touches the database; `ingest.rollups` and `services.analytics` apply these to stored runs.
"""
