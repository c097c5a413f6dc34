"""Triage over HTTP: each category's outcome, grouping into SRs, the record and the report."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.domain.vocabulary import SR_CATEGORIES, Category
from app.settings import Settings
from tests.factories import Desk, FrozenClock, create_profile, social_sr_body

MOBILE_DEVICES_PT_BR = "https://support.microsoft.com/pt-br/products/mobile-devices"

# The category table of the desk's process, written out by hand so that the
# rules table is checked against it rather than against itself.
EXPECTED_OUTCOMES: dict[Category, tuple[str, str | None]] = {
    Category.os_bug: ("service_requests", None),
    Category.rrt: ("service_requests", None),
    Category.elp_executive: ("service_requests", None),
    Category.elp_legal: ("service_requests", None),
    Category.elp_press: ("service_requests", None),
    Category.solved_on_contact: ("solved_on_contact", None),
    Category.hardware: ("redirects", MOBILE_DEVICES_PT_BR),
    Category.accounts_and_billing: ("transfers", "accounts_and_billing"),
    Category.documented_technical: ("redirects", "https://support.microsoft.com"),
    Category.warranty_repair: (
        "redirects",
        "https://www.b2x.com/microsoftphonesupport",
    ),
    Category.out_of_warranty_repair: ("redirects", "https://www.b2x.com/smartprotect"),
    Category.ms_complete: (
        "redirects",
        "https://support.microsoft.com/en-us/help/13748",
    ),
    Category.misrouted: ("transfers", "devices_sales"),
    Category.non_microsoft_product: ("declines", None),
    Category.unsupported_microsoft_product: ("declines", None),
    Category.unsupported_region: ("declines", None),
    Category.line_quality_no_details: ("requests_for_details", None),
}

PLAN_LISTS = (
    "solved_on_contact",
    "service_requests",
    "redirects",
    "transfers",
    "declines",
    "requests_for_details",
)


def problem(category: Category | str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": str(category),
        "summary": f"A {category} problem.",
    }
    if category == Category.misrouted:
        body["transfer_team"] = "devices_sales"
    body.update(extra)
    return body


async def triage(
    client: httpx.AsyncClient,
    desk: Desk,
    problems: list[dict[str, Any]],
    *,
    channel: str = "twitter",
    locale: str | None = "pt-BR",
) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": channel, "problems": problems}
    if locale is not None:
        body["locale"] = locale
    response = await client.post("/triage", json=body, headers=desk.social.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_expected_table_covers_every_category() -> None:
    assert set(EXPECTED_OUTCOMES) == set(Category)


class TestCategoryOutcome:
    @pytest.mark.parametrize("category", list(Category))
    async def test_single_problem(
        self, client: httpx.AsyncClient, desk: Desk, category: Category
    ) -> None:
        plan = await triage(client, desk, [problem(category)])
        where, target = EXPECTED_OUTCOMES[category]

        assert len(plan[where]) == 1
        for other in PLAN_LISTS:
            if other != where:
                assert plan[other] == [], other
        item = plan[where][0]
        assert item["category"] == category.value
        assert item["instruction"]
        if where == "service_requests":
            assert item["problems"] == [0]
            assert item["additional_categories"] == []
        else:
            assert item["problem"] == 0
            assert item["summary"] == f"A {category} problem."
        if where == "redirects":
            assert item["address"] == target
        if where == "transfers":
            assert item["team"] == target

    @pytest.mark.parametrize(
        "category", [category for category in Category if category not in SR_CATEGORIES]
    )
    async def test_sr_create_rejects_category_without_sr(
        self, client: httpx.AsyncClient, desk: Desk, category: Category
    ) -> None:
        profile = await create_profile(client, desk.social)
        response = await client.post(
            "/service-requests",
            json=social_sr_body(profile["id"], category=category.value),
            headers=desk.social.headers,
        )

        assert response.status_code == 422
        body = response.json()
        assert body["type"].endswith("/category-gets-no-sr")
        where, target = EXPECTED_OUTCOMES[category]
        if where == "redirects":
            expected_target = (
                "https://support.microsoft.com/products/mobile-devices"
                if category is Category.hardware
                else target
            )
            assert expected_target in body["detail"]
            assert body["outcome"] == "redirect"
        if category is Category.accounts_and_billing:
            assert "accounts_and_billing" in body["detail"]
            assert body["outcome"] == "transfer"
        if where == "declines":
            assert body["outcome"] == "decline"
        if where == "requests_for_details":
            assert body["outcome"] == "request_details"


class TestRedirectLocale:
    async def test_hardware_without_locale_has_no_locale_segment(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(client, desk, [problem(Category.hardware)], locale=None)
        assert plan["redirects"][0]["address"] == (
            "https://support.microsoft.com/products/mobile-devices"
        )

    async def test_locale_in_lower_case(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(client, desk, [problem(Category.hardware)], locale="zh-CN")
        assert plan["redirects"][0]["address"] == (
            "https://support.microsoft.com/zh-cn/products/mobile-devices"
        )

    async def test_other_redirects_ignore_locale(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(
            client, desk, [problem(Category.ms_complete)], locale="ru-RU"
        )
        assert plan["redirects"][0]["address"] == (
            "https://support.microsoft.com/en-us/help/13748"
        )


class TestGrouping:
    async def test_mixed_contact(self, client: httpx.AsyncClient, desk: Desk) -> None:
        plan = await triage(
            client,
            desk,
            [
                problem(Category.hardware),
                problem(Category.accounts_and_billing),
                problem(Category.os_bug, related_group="update"),
                problem(Category.os_bug, related_group="update"),
                problem(Category.elp_legal),
            ],
        )

        assert [item["address"] for item in plan["redirects"]] == [MOBILE_DEVICES_PT_BR]
        assert [item["team"] for item in plan["transfers"]] == ["accounts_and_billing"]
        assert len(plan["service_requests"]) == 2
        bugs, legal = plan["service_requests"]
        assert bugs["problems"] == [2, 3]
        assert bugs["related_group"] == "update"
        assert bugs["category"] == "os_bug"
        assert bugs["additional_categories"] == []
        assert legal["problems"] == [4]
        assert legal["category"] == "elp_legal"
        assert plan["declines"] == []

    async def test_unrelated_problems_get_one_sr_each(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(
            client, desk, [problem(Category.os_bug), problem(Category.os_bug)]
        )
        assert [item["problems"] for item in plan["service_requests"]] == [[0], [1]]

    async def test_primary_category_order(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(
            client,
            desk,
            [
                problem(Category.os_bug, related_group="g"),
                problem(Category.rrt, related_group="g"),
                problem(Category.elp_press, related_group="g"),
                problem(Category.elp_executive, related_group="g"),
                problem(Category.elp_legal, related_group="g"),
            ],
        )

        (planned,) = plan["service_requests"]
        assert planned["category"] == "elp_legal"
        assert planned["additional_categories"] == [
            "elp_executive",
            "elp_press",
            "rrt",
            "os_bug",
        ]
        assert planned["problems"] == [0, 1, 2, 3, 4]

    async def test_executive_before_press(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(
            client,
            desk,
            [
                problem(Category.elp_press, related_group="g"),
                problem(Category.os_bug, related_group="g"),
                problem(Category.elp_executive, related_group="g"),
            ],
        )
        (planned,) = plan["service_requests"]
        assert planned["category"] == "elp_executive"
        assert planned["additional_categories"] == ["elp_press", "os_bug"]

    async def test_non_sr_category_in_group_keeps_its_outcome(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(
            client,
            desk,
            [
                problem(Category.os_bug, related_group="g"),
                problem(Category.hardware, related_group="g"),
                problem(Category.rrt, related_group="g"),
            ],
        )

        (planned,) = plan["service_requests"]
        assert planned["problems"] == [0, 2]
        assert planned["category"] == "rrt"
        assert [item["problem"] for item in plan["redirects"]] == [1]

    async def test_group_of_only_redirects_gets_no_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(
            client,
            desk,
            [
                problem(Category.hardware, related_group="g"),
                problem(Category.warranty_repair, related_group="g"),
            ],
        )
        assert plan["service_requests"] == []
        assert len(plan["redirects"]) == 2


class TestTriageInput:
    async def test_misrouted_needs_team(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/triage",
            json={"channel": "twitter", "problems": [{"category": "misrouted"}]},
            headers=desk.social.headers,
        )
        assert response.status_code == 422
        assert "transfer_team" in response.text

    async def test_team_only_for_misrouted(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/triage",
            json={
                "channel": "twitter",
                "problems": [{"category": "os_bug", "transfer_team": "sales"}],
            },
            headers=desk.social.headers,
        )
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "body",
        [
            {"channel": "twitter", "problems": []},
            {"channel": "fax", "problems": [{"category": "os_bug"}]},
            {"channel": "twitter", "problems": [{"category": "printer"}]},
            {
                "channel": "twitter",
                "locale": "pt_BR!",
                "problems": [{"category": "os_bug"}],
            },
        ],
    )
    async def test_invalid_body(
        self, client: httpx.AsyncClient, desk: Desk, body: dict[str, Any]
    ) -> None:
        response = await client.post("/triage", json=body, headers=desk.social.headers)
        assert response.status_code == 422

    async def test_tier2_may_not_triage(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/triage",
            json={"channel": "twitter", "problems": [{"category": "os_bug"}]},
            headers=desk.tier2.headers,
        )
        assert response.status_code == 403

    async def test_store_agent_triages_store_contact(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/triage",
            json={"channel": "store", "problems": [{"category": "rrt"}]},
            headers=desk.store.headers,
        )
        assert response.status_code == 201
        assert response.json()["channel"] == "store"


class TestTriageRecord:
    async def test_record_has_no_summary(
        self, client: httpx.AsyncClient, desk: Desk, settings: Settings
    ) -> None:
        secret = "jordan.lee@example.net says the 2065550134 phone broke"
        plan = await triage(
            client,
            desk,
            [
                {"category": "os_bug", "summary": secret, "related_group": "g"},
                {"category": "hardware", "summary": secret},
            ],
        )

        engine = sa.create_engine(settings.database_url)
        with engine.connect() as connection:
            triages = (
                connection.execute(sa.text("SELECT * FROM triage")).mappings().all()
            )
            outcomes = (
                connection.execute(
                    sa.text("SELECT * FROM triage_outcome ORDER BY position")
                )
                .mappings()
                .all()
            )
        engine.dispose()

        assert len(triages) == 1
        assert str(triages[0]["id"]).replace("-", "") == plan["id"].replace("-", "")
        assert triages[0]["channel"] == "twitter"
        assert triages[0]["locale"] == "pt-BR"
        assert triages[0]["problem_count"] == 2
        assert triages[0]["service_request_count"] == 1
        assert [row["category"] for row in outcomes] == ["os_bug", "hardware"]
        assert [row["outcome"] for row in outcomes] == ["service_request", "redirect"]
        assert outcomes[1]["target"] == MOBILE_DEVICES_PT_BR
        for row in [*triages, *outcomes]:
            for value in row.values():
                assert "jordan" not in str(value)
                assert "2065550134" not in str(value)

    async def test_sr_carries_triage_reference(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        plan = await triage(client, desk, [problem(Category.os_bug)])
        profile = await create_profile(client, desk.social)
        response = await client.post(
            "/service-requests",
            json=social_sr_body(profile["id"], triage_id=plan["id"]),
            headers=desk.social.headers,
        )
        assert response.status_code == 201, response.text
        sr = response.json()
        assert sr["triage_id"] == plan["id"]

        history = await client.get(
            f"/service-requests/{sr['id']}/history", headers=desk.social.headers
        )
        assert history.json()["items"][0]["details"]["triage_id"] == plan["id"]

    async def test_sr_with_unknown_triage(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)
        response = await client.post(
            "/service-requests",
            json=social_sr_body(
                profile["id"], triage_id="01900000-0000-7000-8000-000000000000"
            ),
            headers=desk.social.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/triage_id"


class TestTriageReport:
    async def _report(
        self, client: httpx.AsyncClient, desk: Desk, query: str = ""
    ) -> dict[str, Any]:
        response = await client.get(
            f"/triage/report{query}", headers=desk.supervisor.headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def test_counts(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        # 2026-12-01: a mixed contact on twitter and a billing question on community.
        await triage(
            client,
            desk,
            [
                problem(Category.hardware),
                problem(Category.accounts_and_billing),
                problem(Category.os_bug, related_group="g"),
                problem(Category.os_bug, related_group="g"),
                problem(Category.elp_legal),
            ],
        )
        await triage(
            client, desk, [problem(Category.accounts_and_billing)], channel="community"
        )
        # 2026-12-03: a declined contact, outside the first range below.
        clock.advance(timedelta(days=2))
        await triage(client, desk, [problem(Category.non_microsoft_product)])

        report = await self._report(client, desk, "?from=2026-12-01&to=2026-12-02")

        assert report["from_date"] == "2026-12-01"
        assert report["to_date"] == "2026-12-02"
        assert report["triages"] == 2
        assert report["problems"] == 6
        assert report["service_requests"] == 2
        assert report["deflected"] == 3
        assert report["by_outcome"] == {
            "service_request": 3,
            "solved_on_contact": 0,
            "redirect": 1,
            "transfer": 2,
            "decline": 0,
            "request_details": 0,
        }
        assert report["by_category"]["os_bug"] == 2
        assert report["by_category"]["elp_legal"] == 1
        assert report["by_category"]["hardware"] == 1
        assert report["by_category"]["accounts_and_billing"] == 2
        assert report["by_category"]["non_microsoft_product"] == 0
        assert sum(report["by_category"].values()) == 6
        assert report["by_channel"]["twitter"] == {
            "triages": 1,
            "problems": 5,
            "service_requests": 2,
        }
        assert report["by_channel"]["community"] == {
            "triages": 1,
            "problems": 1,
            "service_requests": 0,
        }
        assert report["by_channel"]["facebook"]["triages"] == 0

        whole = await self._report(client, desk, "?from=2026-12-01&to=2026-12-03")
        assert whole["triages"] == 3
        assert whole["by_outcome"]["decline"] == 1
        assert whole["by_channel"]["twitter"]["triages"] == 2

        last_day = await self._report(client, desk, "?from=2026-12-03&to=2026-12-03")
        assert last_day["triages"] == 1
        assert last_day["deflected"] == 1

    async def test_default_range_ends_today(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        await triage(client, desk, [problem(Category.hardware)])
        report = await self._report(client, desk)
        assert report["to_date"] == "2026-12-01"
        assert report["from_date"] == "2026-11-02"
        assert report["triages"] == 1

    async def test_from_after_to(self, client: httpx.AsyncClient, desk: Desk) -> None:
        response = await client.get(
            "/triage/report?from=2026-12-05&to=2026-12-01",
            headers=desk.supervisor.headers,
        )
        assert response.status_code == 422
        assert "2026-12-05" in response.json()["detail"]

    async def test_range_too_long(self, client: httpx.AsyncClient, desk: Desk) -> None:
        response = await client.get(
            "/triage/report?from=2020-01-01&to=2026-12-01",
            headers=desk.supervisor.headers,
        )
        assert response.status_code == 422

    async def test_tier1_may_not_read(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.get("/triage/report", headers=desk.social.headers)
        assert response.status_code == 403


class TestTriageChannelOfKind:
    @pytest.mark.parametrize(
        ("login", "channel"),
        [
            ("store", "twitter"),
            ("sales", "store"),
            ("social", "store"),
            ("social", "sales"),
        ],
    )
    async def test_channel_outside_agent_kind_is_422(
        self, login: str, channel: str, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/triage",
            json={"channel": channel, "problems": [{"category": "os_bug"}]},
            headers=getattr(desk, login).headers,
        )

        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["pointer"] == "/channel"
        report = await client.get("/triage/report", headers=desk.supervisor.headers)
        assert report.json()["triages"] == 0

    @pytest.mark.parametrize(
        ("login", "channel"),
        [("social", "community"), ("community", "twitter"), ("sales", "sales")],
    )
    async def test_channel_of_agent_kind_is_accepted(
        self, login: str, channel: str, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/triage",
            json={"channel": channel, "problems": [{"category": "os_bug"}]},
            headers=getattr(desk, login).headers,
        )

        assert response.status_code == 201, response.text
