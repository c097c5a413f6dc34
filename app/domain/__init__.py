"""Domain rules, tables and services. Nothing here knows about HTTP."""
