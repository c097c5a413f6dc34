"""Agents' working views: queues, dashboard counts and per-tier clocks."""
