"""The committed OpenAPI spec is the one the application serves."""

import json
from pathlib import Path

from fastapi import FastAPI

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_spec_matches_app(app: FastAPI) -> None:
    committed = json.loads(SPEC.read_text())
    served = json.loads(json.dumps(app.openapi()))

    assert served == committed, "openapi/openapi.json is stale: run 'casedesk openapi'"


def test_every_error_response_is_problem_json(app: FastAPI) -> None:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and int(status) != 503:
                    media_types = set(response.get("content", {}))
                    assert media_types == {"application/problem+json"}, (
                        method,
                        path,
                        status,
                    )


def test_authenticated_routes_declare_bearer(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert paths["/service-requests/{sr_ref}"]["get"]["security"] == [
        {"bearerAuth": []}
    ]
    assert "security" not in paths["/health/live"]["get"]
