"""Anomaly detection, pure: robust baselines per job and metric (`detector`) and Elementary's z-score
(`elementary`), the latter kept for comparison in benchmarks/anomaly_benchmark.py."""
