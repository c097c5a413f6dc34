"""The triage table: what each problem category gets.

One row per category, in the order of the desk's process. Read it beside the
category table of the domain description: outcome, target, instruction.
"""

from dataclasses import dataclass
from enum import StrEnum

from app.domain.vocabulary import Category


class Outcome(StrEnum):
    service_request = "service_request"
    solved_on_contact = "solved_on_contact"
    redirect = "redirect"
    transfer = "transfer"
    decline = "decline"
    request_details = "request_details"


@dataclass(frozen=True)
class TriageRule:
    outcome: Outcome
    target: str | None
    """A redirect address (`{locale}` is filled in), a transfer team, or None."""
    instruction: str


MOBILE_DEVICES_SITE = "https://support.microsoft.com/{locale}products/mobile-devices"
TEAM_NAMED_BY_AGENT = None


RULES: dict[Category, TriageRule] = {
    Category.os_bug: TriageRule(
        Outcome.service_request,
        None,
        "Create an SR: an OS or technical problem, not hardware, with no support documentation.",
    ),
    Category.rrt: TriageRule(
        Outcome.service_request, None, "Create an SR for the RRT case."
    ),
    Category.elp_executive: TriageRule(
        Outcome.service_request, None, "Create an SR for the executive escalation."
    ),
    Category.elp_legal: TriageRule(
        Outcome.service_request, None, "Create an SR for the legal escalation."
    ),
    Category.elp_press: TriageRule(
        Outcome.service_request, None, "Create an SR for the press escalation."
    ),
    Category.solved_on_contact: TriageRule(
        Outcome.solved_on_contact,
        None,
        "Nothing more to do: the problem was solved on contact.",
    ),
    Category.hardware: TriageRule(
        Outcome.redirect,
        MOBILE_DEVICES_SITE,
        "Send the customer to the mobile-devices support site, where they pick their device "
        "and region for troubleshooting and repair options.",
    ),
    Category.accounts_and_billing: TriageRule(
        Outcome.transfer,
        "accounts_and_billing",
        "Transfer the contact to Accounts and Billing now.",
    ),
    Category.documented_technical: TriageRule(
        Outcome.redirect,
        "https://support.microsoft.com",
        "Point the customer to the documentation on the support site.",
    ),
    Category.warranty_repair: TriageRule(
        Outcome.redirect,
        "https://www.b2x.com/microsoftphonesupport",
        "Send repair and warranty complaints to B2X phone support.",
    ),
    Category.out_of_warranty_repair: TriageRule(
        Outcome.redirect,
        "https://www.b2x.com/smartprotect",
        "Send the customer to B2X for out-of-warranty repair or an extended warranty.",
    ),
    Category.ms_complete: TriageRule(
        Outcome.redirect,
        "https://support.microsoft.com/en-us/help/13748",
        "MS Complete is no longer sold; send existing plan holders to its help article.",
    ),
    Category.misrouted: TriageRule(
        Outcome.transfer,
        TEAM_NAMED_BY_AGENT,
        "Transfer the contact to the team that handles it, named in transfer_team.",
    ),
    Category.non_microsoft_product: TriageRule(
        Outcome.decline, None, "Decline: the product is not made by Microsoft."
    ),
    Category.unsupported_microsoft_product: TriageRule(
        Outcome.decline,
        None,
        "Decline: this desk does not support that Microsoft product.",
    ),
    Category.unsupported_region: TriageRule(
        Outcome.decline,
        None,
        "Decline: the request is outside the desk's support boundaries.",
    ),
    Category.line_quality_no_details: TriageRule(
        Outcome.request_details,
        None,
        "Ask the customer for details of the line problem (when, which calls, what is heard); "
        "no SR until they come.",
    ),
}


def redirect_address(rule: TriageRule, locale: str | None) -> str | None:
    """Fill the locale into a redirect address: `pt-BR` gives `.../pt-br/products/...`."""
    if rule.target is None:
        return None
    segment = f"{locale.lower()}/" if locale else ""
    return rule.target.replace("{locale}", segment)


def describe_alternative(category: Category, locale: str | None = None) -> str:
    """Say what a category gets instead of an SR, for error messages."""
    rule = RULES[category]
    if rule.outcome is Outcome.redirect:
        return f"redirect the customer to {redirect_address(rule, locale)}"
    if rule.outcome is Outcome.transfer:
        team = rule.target or "the team that handles it"
        return f"transfer the contact to {team}"
    if rule.outcome is Outcome.decline:
        return "decline the contact as out of scope"
    if rule.outcome is Outcome.request_details:
        return "ask the customer for details first"
    return "nothing: it was solved on contact"
