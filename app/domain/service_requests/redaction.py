"""Removal of personal data from public social comments before they are stored.

Phone numbers are found with phonenumbers' matcher, email addresses with
email-validator on each candidate, IMEIs as 15 digits that pass the Luhn check.
"""

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.domain.profiles.validation import luhn_valid

EMAIL_CANDIDATE = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")
DIGIT_RUN = re.compile(r"\d(?:[ .-]?\d){13,16}")
PLACEHOLDERS = {
    "email": "[email removed]",
    "phone": "[phone removed]",
    "imei": "[IMEI removed]",
}


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + placeholder + text[end:]
    return text


def _imei_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 15 and luhn_valid(digits):
            spans.append(match.span())
    return spans


def _email_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in EMAIL_CANDIDATE.finditer(text):
        candidate = match.group().rstrip(".!?")
        try:
            validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            continue
        spans.append((match.start(), match.start() + len(candidate)))
    return spans


def _phone_spans(text: str, region: str | None) -> list[tuple[int, int]]:
    matcher = phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID
    )
    return [(match.start, match.end) for match in matcher]


def redact(text: str, region: str | None = None) -> tuple[str, list[str]]:
    """Return the text with personal data replaced, and the kinds that were found.

    `region` (ISO country code) lets phone numbers without a country code be found.
    """
    kinds = []
    for kind, find in (
        ("imei", _imei_spans),
        ("email", _email_spans),
        ("phone", lambda value: _phone_spans(value, region)),
    ):
        spans = find(text)
        if spans:
            kinds.append(kind)
            text = _replace(text, spans, PLACEHOLDERS[kind])
    return text, sorted(kinds)
