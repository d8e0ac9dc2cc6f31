"""Alerting: evaluation of runs and absences into incidents, and the outbox that delivers their messages."""
