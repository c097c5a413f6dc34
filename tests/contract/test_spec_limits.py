"""Every input the spec describes is bounded, so clients and fuzzers know the limits the service enforces."""

from typing import Any

from fastapi import FastAPI

UNBOUNDED_FORMATS = {"uuid", "date", "date-time", "duration"}
"""Formats whose parser rejects anything longer than the format allows."""


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """List the strings without maxLength, arrays without maxItems and open objects in a schema."""
    schema = _resolve(spec, schema)
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _unbounded(spec, part, where)
    kind = schema.get("type")
    if (
        kind == "string"
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in UNBOUNDED_FORMATS
        and "maxLength" not in schema
    ):
        found.append(f"{where}: string without maxLength")
    if kind == "integer" and "maximum" not in schema:
        found.append(f"{where}: integer without maximum")
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: array without maxItems")
        found += _unbounded(spec, schema.get("items", {}), where + "/*")
    if "properties" in schema:
        if schema.get("additionalProperties") is not False:
            found.append(f"{where}: object accepts unknown fields")
        for name, part in schema["properties"].items():
            found += _unbounded(spec, part, f"{where}/{name}")
    return found


def test_every_input_is_bounded(app: FastAPI) -> None:
    spec = app.openapi()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['in']} {parameter['name']}"
                found += _unbounded(spec, parameter["schema"], where)
            body = operation.get("requestBody", {}).get("content", {})
            for media_type in body.values():
                found += _unbounded(spec, media_type["schema"], f"{label} body")

    assert found == []


def test_page_sizes_are_capped(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    limits = {
        path: next(
            parameter["schema"]["maximum"]
            for parameter in paths[path]["get"]["parameters"]
            if parameter["name"] == "limit"
        )
        for path in ("/agents", "/service-requests/{sr_ref}/history")
    }

    assert limits == {"/agents": 200, "/service-requests/{sr_ref}/history": 500}


def _looks_up_by_path(app: FastAPI, operation: dict[str, Any]) -> bool:
    """Whether a path parameter names something that may not exist; an enum does not."""
    spec = app.openapi()
    return any(
        "enum" not in _resolve(spec, parameter["schema"])
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    )


def test_every_operation_declares_its_errors(app: FastAPI) -> None:
    missing = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            expected = {"500"}
            if "security" in operation:
                expected |= {"401", "422", "429"}
            if "requestBody" in operation:
                expected |= {"413", "415", "422"}
            if "security" in operation and _looks_up_by_path(app, operation):
                expected |= {"404"}
            if expected - declared:
                missing.append(
                    f"{method.upper()} {path}: {sorted(expected - declared)}"
                )

    assert missing == []
