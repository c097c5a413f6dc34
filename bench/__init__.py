"""Benchmarks: casedesk against a tutorial-style FastAPI + SQLModel baseline."""
