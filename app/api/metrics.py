"""Service metrics beyond the per-route HTTP metrics of the instrumentator."""

from prometheus_client import Counter

TRANSITIONS = Counter(
    "casedesk_sr_transitions_total",
    "SR lifecycle events fired, by event and outcome (allowed or rejected).",
    ["event", "outcome"],
)
