"""Every application and holder route refuses a request without an account token, and every
CA review route one without the node-admin key (walked from the OpenAPI document)."""

from __future__ import annotations

from tests.api.applications.conftest import ALICE, AppApi, problem

FILLERS = {
    "{application_id}": "0123456789abcdef",
    "{kind}": "business_licence",
    "{fingerprint}": "ab" * 32,
    "{ca_id}": "zjca",
    "{request_id}": "0123456789abcdef",
}


def _routes(api: AppApi, prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    routes = []
    for path, operations in api.http.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        if path.startswith(prefixes):
            for filler, value in FILLERS.items():
                path = path.replace(filler, value)
            routes.extend((method.upper(), path) for method in operations)
    return routes


def test_holder_routes_need_an_account_token(api: AppApi) -> None:
    routes = _routes(api, ("/v1/applications", "/v1/holder/", "/v1/enterprise-change"))
    assert len(routes) >= 16
    for method, path in routes:
        problem(api.http.request(method, path), 401, "UNAUTHENTICATED")


def test_ca_review_routes_need_the_admin_key_or_the_cas_operator(api: AppApi) -> None:
    alice = api.login(ALICE[0])  # an account, but no CA operator
    routes = _routes(api, ("/v1/ca/",))
    assert len(routes) == 11  # applications (5), recovery evidence (1), authorizations (4),
    # the enterprise change's view (1)
    for method, path in routes:
        problem(api.http.request(method, path), 401, "UNAUTHENTICATED")
        problem(api.http.request(method, path, headers=alice), 403, "NOT_CA_OPERATOR")
    problem(api.http.get("/v1/ca/nosuchca/applications", headers=api.admin()), 404, "UNKNOWN_CA")
