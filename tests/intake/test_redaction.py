"""Personal data in public comments: found in its usual formats and removed before storage."""

import httpx
import pytest

from app.demo.replay import leaked
from app.domain.service_requests.redaction import redact
from tests.factories import Desk, create_profile, social_sr_body

PHONE = "+1 206 555 0134"
EMAIL = "jordan.lee@example.net"
IMEI = "353456789012348"


class TestRedact:
    @pytest.mark.parametrize(
        "written",
        [
            "+1 206 555 0134",
            "+12065550134",
            "+1 (206) 555-0134",
            "+1-206-555-0134",
            "+1.206.555.0134",
        ],
    )
    def test_international_phone(self, written: str) -> None:
        text, kinds = redact(f"Call me at {written} tonight")
        assert kinds == ["phone"]
        assert leaked(text, [PHONE]) == []
        assert text == "Call me at [phone removed] tonight"

    @pytest.mark.parametrize(
        "written", ["206 555 0134", "2065550134", "(206) 555-0134"]
    )
    def test_national_phone_in_customer_country(self, written: str) -> None:
        text, kinds = redact(f"Call me at {written} tonight", "US")
        assert kinds == ["phone"]
        assert leaked(text, [PHONE]) == []

    @pytest.mark.parametrize(
        "written",
        [
            "353456789012348",
            "35-345678-901234-8",
            "35 345678 901234 8",
            "353456 789012 348",
            "353456.789012.348",
        ],
    )
    def test_imei_formats(self, written: str) -> None:
        text, kinds = redact(f"IMEI {written}, please check")
        assert kinds == ["imei"]
        assert text == "IMEI [IMEI removed], please check"

    def test_imei_next_to_other_digits(self) -> None:
        text, kinds = redact(f"IMEI {IMEI} 12 and box 0134 {IMEI}")
        assert kinds == ["imei"]
        assert IMEI not in text
        assert text == "IMEI [IMEI removed] 12 and box 0134 [IMEI removed]"

    def test_digits_failing_luhn_are_kept(self) -> None:
        text, kinds = redact("Order 353456789012349 arrived")
        assert kinds == []
        assert text == "Order 353456789012349 arrived"

    def test_long_number_is_no_imei(self) -> None:
        _text, kinds = redact("Ticket 12345678901234567890")
        assert kinds == []

    def test_version_strings_are_kept(self) -> None:
        _text, kinds = redact("Since 10.0.15063.297 and 02177.00000.16045.36000")
        assert kinds == []

    @pytest.mark.parametrize(
        "written", [EMAIL, "JORDAN.LEE@EXAMPLE.NET", "<jordan.lee@example.net>"]
    )
    def test_email(self, written: str) -> None:
        text, kinds = redact(f"mail {written}.")
        assert kinds == ["email"]
        assert leaked(text, [EMAIL]) == []

    def test_all_kinds_together(self) -> None:
        text, kinds = redact(
            f"Update bricked my notifications. Call me at {PHONE} or mail {EMAIL}, IMEI {IMEI}"
        )
        assert kinds == ["email", "imei", "phone"]
        assert leaked(text, [PHONE, EMAIL, IMEI]) == []
        assert text == (
            "Update bricked my notifications. Call me at [phone removed] or mail "
            "[email removed], IMEI [IMEI removed]"
        )

    def test_text_without_personal_data(self) -> None:
        comment = "Meu celular caiu e a tela rachou, onde conserto?"
        assert redact(comment, "BR") == (comment, [])


class TestStoredComments:
    async def test_create_stores_redacted_comments(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)
        comment = f"Call {PHONE} or {EMAIL}, IMEI 35-345678-901234-8"
        response = await client.post(
            "/service-requests",
            json=social_sr_body(profile["id"], public_comments=comment),
            headers=desk.social.headers,
        )

        assert response.status_code == 201, response.text
        assert leaked(response.text, [PHONE, EMAIL, IMEI]) == []
        sr = response.json()
        assert sr["public_comments_redacted"] == ["email", "imei", "phone"]
        stored = await client.get(
            f"/service-requests/{sr['id']}", headers=desk.social.headers
        )
        assert stored.json()["public_comments"] == (
            "Call [phone removed] or [email removed], IMEI [IMEI removed]"
        )
        history = await client.get(
            f"/service-requests/{sr['id']}/history", headers=desk.social.headers
        )
        created = history.json()["items"][0]
        assert created["details"]["public_comments_redacted"] == [
            "email",
            "imei",
            "phone",
        ]
        assert leaked(history.text, [PHONE, EMAIL, IMEI]) == []

    async def test_national_number_uses_profile_country(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        # The factory's profile lives in Brazil, so a number without +55 is Brazilian.
        profile = await create_profile(client, desk.social)
        response = await client.post(
            "/service-requests",
            json=social_sr_body(
                profile["id"], public_comments="Me liga no (11) 91234-5678 por favor"
            ),
            headers=desk.social.headers,
        )
        assert response.status_code == 201, response.text
        assert (
            response.json()["public_comments"] == "Me liga no [phone removed] por favor"
        )

    async def test_edit_redacts_comments(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)
        created = await client.post(
            "/service-requests",
            json=social_sr_body(profile["id"]),
            headers=desk.social.headers,
        )
        sr = created.json()
        assert sr["public_comments_redacted"] == []

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"public_comments": f"New details: IMEI {IMEI}, mail {EMAIL}"},
            headers=desk.social.matching(f'"{sr["version"]}"'),
        )
        assert response.status_code == 200, response.text
        edited = response.json()
        assert edited["public_comments"] == (
            "New details: IMEI [IMEI removed], mail [email removed]"
        )
        assert edited["public_comments_redacted"] == ["email", "imei"]
