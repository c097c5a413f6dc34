"""The desk's shared terms: tiers, customer types, channels, categories and statuses.

Values are the words the API, the database and the docs use.
"""

from enum import StrEnum


class Tier(StrEnum):
    tier1 = "tier1"
    tier2 = "tier2"
    supervisor = "supervisor"


class Tier1Kind(StrEnum):
    social_media = "social_media"
    community = "community"
    store = "store"
    sales = "sales"


class CustomerType(StrEnum):
    social_media = "social_media"
    store = "store"
    sales = "sales"


class SocialChannel(StrEnum):
    """The social network or community an SR was escalated from."""

    facebook = "facebook"
    twitter = "twitter"
    vkontakte = "vkontakte"
    yandex = "yandex"
    sina_weibo = "sina_weibo"
    community = "community"
    other = "other"


class ContactChannel(StrEnum):
    """How details reached the agent. Only private channels may carry personal data."""

    private_message = "private_message"
    email = "email"
    phone_call = "phone_call"
    public_post = "public_post"

    @property
    def is_private(self) -> bool:
        return self is not ContactChannel.public_post


class Category(StrEnum):
    """Problem categories used by triage and by SRs."""

    os_bug = "os_bug"
    rrt = "rrt"
    elp_executive = "elp_executive"
    elp_legal = "elp_legal"
    elp_press = "elp_press"
    solved_on_contact = "solved_on_contact"
    hardware = "hardware"
    accounts_and_billing = "accounts_and_billing"
    documented_technical = "documented_technical"
    warranty_repair = "warranty_repair"
    out_of_warranty_repair = "out_of_warranty_repair"
    ms_complete = "ms_complete"
    misrouted = "misrouted"
    non_microsoft_product = "non_microsoft_product"
    unsupported_microsoft_product = "unsupported_microsoft_product"
    unsupported_region = "unsupported_region"
    line_quality_no_details = "line_quality_no_details"


SR_CATEGORIES = (
    Category.elp_legal,
    Category.elp_executive,
    Category.elp_press,
    Category.rrt,
    Category.os_bug,
)
"""The categories that get an SR, in the order that picks a group's primary category."""


class Status(StrEnum):
    """SR statuses. Only the lifecycle machine moves an SR between them."""

    open = "open"
    escalated = "escalated"
    on_hold = "on_hold"
    resolved = "resolved"
    de_escalated = "de_escalated"
    closed = "closed"
    cancelled = "cancelled"


class HeldBy(StrEnum):
    """Which side of the desk an SR waits on, the key of the queue views."""

    tier1 = "tier1"
    tier2 = "tier2"
    nobody = "nobody"


class ProfilePath(StrEnum):
    """How a profile was created: phone only is the hardware path, any email the subscription path."""

    hardware = "hardware"
    subscription = "subscription"


class FollowUpChannel(StrEnum):
    private_message = "private_message"
    email = "email"
    phone_call = "phone_call"


class FollowUpStatus(StrEnum):
    scheduled = "scheduled"
    completed = "completed"
    cancelled = "cancelled"
