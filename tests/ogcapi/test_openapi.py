"""The OpenAPI document: it describes exactly the app's GET JSON routes, and a property-based run of
schemathesis against it (the sample on each backend, served) finds no 500 and no response that breaks it."""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from chromium import live_app
from clirun import run
from conftest import add_extras
from databases import new_database
from hypothesis import HealthCheck, given, settings
from sample import add_sample
from schemathesis.specs.openapi.checks import positive_data_acceptance
from webauth import ensure_user

from fm.app.openapi import document
from fm.config import Config
from fm.db import Database

BACKENDS = ("sqlite", "postgis")


def _shape(path: str) -> str:
    """A path with its variables made anonymous: /a/<x>/b and /a/{y}/b are the same route."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_the_document_lists_exactly_the_get_json_routes(tmp_path):
    from fm.web import create_app

    app = create_app(Config(database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}", instance_path=tmp_path))
    routes = {
        _shape(rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.rule.startswith(("/api/", "/ogcapi/"))
    }
    described = {_shape(path) for path in document("http://fm.example/")["paths"]}
    assert described == routes


def test_served_with_its_media_type(live):
    base, token = live
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.get(f"{base}/ogcapi/api", headers=headers, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.json()["openapi"].startswith("3.0")
    landing = requests.get(f"{base}/ogcapi/?f=json", headers=headers, timeout=30).json()
    assert any(link["rel"] == "service-desc" and link["href"].endswith("/ogcapi/api") for link in landing["links"])


@pytest.fixture(scope="module", params=BACKENDS, ids=BACKENDS)
def live(request, tmp_path_factory):
    """The sample on each backend (module-scoped: made once per backend), served, and a viewer's token."""
    if request.param == "postgis":
        request.applymarker(pytest.mark.postgis)
    folder = tmp_path_factory.mktemp("live")
    sample_url = new_database(request.param, folder, request)
    database = Database(sample_url)
    with database.session() as session:
        add_extras(session, add_sample(session))
    database.dispose()
    assert run(sample_url, "score").exit_code == 0  # /api/risk answers 503 ("run fm score") before
    ensure_user(sample_url, "machine", "viewer")
    made = run(sample_url, "tokens", "create", "machine")
    token = made.output.strip().splitlines()[-1]
    config = Config(database_url=sample_url, instance_path=folder, secret_key="test")
    with live_app(config) as base:
        yield base, token


def test_no_500_and_every_response_as_described(live):
    """Each operation with a few generated requests (schemathesis's strategies, run by hypothesis here:
    its pytest plugin does not run on pytest 9 yet), as a viewer's token. Every check but "schema-valid data is
    accepted": a schema cannot say that a bbox's corners come in order or that a CRS84 latitude is within ±90,
    and the service rightly answers those with 400."""
    base, token = live
    api = schemathesis.openapi.from_dict(document(base + "/"))
    tried = 0
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            case.call_and_validate(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance]
            )

        check()
        tried += 1
    assert tried == len(document(base)["paths"])
