"""The OpenAPI document, made to tell the truth about the answers the API really gives.

Why: FastAPI documents every 422 as a list of validation errors and knows nothing of the answers
the request gate and the error handlers give (401, 408, 413, 429, 503), so a client generated from
the default document mis-parses every error. Here every error status a route can answer is
declared with the one error body (``{"detail": str}``), the reward names and languages are the
service's own, and the API key scheme is declared when one is configured.
``tests/app/http/test_openapi.py`` compares real answers with the document and CI fuzzes it with schemathesis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from app.http.schemas import ErrorBody

__all__ = ["POST_ERRORS", "WORK_ERRORS", "answers", "error_responses", "install_openapi"]

_WHY = {
    400: "unknown reward or parameter name, or a request this instance cannot serve",
    401: "missing or wrong API key (when ARBITER_API_KEY is set)",
    404: "unknown or expired job",
    408: "the request body did not arrive within ARBITER_HTTP_BODY_TIMEOUT_S",
    413: "a body, item count, completion, program or test list over its limit",
    422: "a request that is not valid (the message names the fields)",
    429: "the queue or an executor is full: retry after Retry-After seconds",
    503: "a dependency is unavailable (queue, workers, sandbox): retry after Retry-After seconds",
}

POST_ERRORS = (401, 408, 413, 422)
"""What every POST may answer before its route runs: the request gate and validation."""

WORK_ERRORS = (400, *POST_ERRORS, 429, 503)
"""What a POST that does work may answer: the above, a refused name, a full or absent dependency."""


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with the one error body."""
    return {c: {"model": ErrorBody, "description": _WHY[c]} for c in codes}


def answers(model: type[BaseModel], *codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses``: ``model`` for 200 (documentation only) and these error statuses."""
    return {200: {"model": model}, **error_responses(*codes)}


def install_openapi(
    app: FastAPI, *, reward_names: Callable[[], Iterable[str]], languages: Iterable[str], api_key: bool
) -> None:
    """Replace ``app.openapi`` by the default document with the service's facts filled in."""
    default = app.openapi
    language_values = sorted(languages)

    def openapi() -> dict[str, Any]:
        doc = default()  # built once and cached by FastAPI; the edits below are idempotent
        schemas = doc.get("components", {}).get("schemas", {})
        name = schemas.get("RewardSpecIn", {}).get("properties", {}).get("name")
        if name is not None:
            name["enum"] = sorted(reward_names())
            name["description"] = "a reward of GET /v1/rewards/catalog"
        language = schemas.get("ExecuteRequest", {}).get("properties", {}).get("language")
        if language is not None:
            language["enum"] = language_values
        _models_replace_annotations(doc)
        if api_key:
            _declare_api_key(doc)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _models_replace_annotations(doc: dict[str, Any]) -> None:
    """Where a route's documented model meets its return annotation (``dict[str, Any]``), FastAPI
    merges both into one schema; the model alone is the document's answer."""
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    schema = media.get("schema", {})
                    if "$ref" in schema and len(schema) > 1:
                        media["schema"] = {"$ref": schema["$ref"]}


def _declare_api_key(doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {})
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            if "401" in operation.get("responses", {}):
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
