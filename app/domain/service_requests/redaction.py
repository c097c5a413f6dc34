"""Removal of personal data from public social comments before they are stored.

Phone numbers are found with phonenumbers' matcher, email addresses with
email-validator on each candidate, IMEIs as 15 digits that pass the Luhn check,
whole or in groups.
"""

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.domain.profiles.validation import luhn_valid

EMAIL_CANDIDATE = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")
DIGIT_RUN = re.compile(r"\d+(?:[ ./-]\d+)*")
DIGIT_GROUP = re.compile(r"\d+")
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
    """Find IMEIs written whole or in groups (`35-345678-901234-8`, `353456 789012 348`).

    Within a run of digit groups joined by single separators, any consecutive
    groups holding exactly 15 digits with a valid Luhn check digit are an IMEI.
    A single group of 16 or more digits is never one.
    """
    spans = []
    for run in DIGIT_RUN.finditer(text):
        groups = [
            (run.start() + group.start(), run.start() + group.end(), group.group())
            for group in DIGIT_GROUP.finditer(run.group())
        ]
        first = 0
        while first < len(groups):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last][2]
                if len(digits) >= 15:
                    break
            if len(digits) == 15 and luhn_valid(digits):
                spans.append((groups[first][0], groups[last][1]))
                first = last + 1
            else:
                first += 1
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
