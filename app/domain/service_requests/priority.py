"""Priority from category and reach, and the SLA due times that follow from it."""

from datetime import datetime

from app.domain.policy import Policy
from app.domain.vocabulary import Category

CATEGORY_RANK = {
    Category.elp_executive: 0,
    Category.elp_legal: 0,
    Category.elp_press: 0,
    Category.rrt: 1,
    Category.os_bug: 2,
}
"""ELP above RRT above OS bugs."""


def reach_level(follower_count: int | None, thresholds: tuple[int, ...]) -> int:
    """0 for no or little reach, up to len(thresholds) for the widest."""
    if follower_count is None:
        return 0
    return sum(1 for threshold in thresholds if follower_count >= threshold)


def priority(category: Category, follower_count: int | None, policy: Policy) -> int:
    """1 is the most urgent. Category decides first; reach orders SRs within a category."""
    levels = len(policy.reach_thresholds) + 1
    level = reach_level(follower_count, policy.reach_thresholds)
    return CATEGORY_RANK[category] * levels + (levels - 1 - level) + 1


def sla_due(
    priority_value: int, escalated_at: datetime, policy: Policy
) -> tuple[datetime, datetime]:
    """Tier 2's first-action and resolution due times for an SR escalated at `escalated_at`."""
    index = priority_value - 1
    return (
        escalated_at + policy.sla_first_action[index],
        escalated_at + policy.sla_resolution[index],
    )
