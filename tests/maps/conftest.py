"""A demo database, scored once per module and backend: the maps read it, never change it."""

from __future__ import annotations

import pytest
from databases import SCORED_DEMO, prepared_database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def scored_demo_url(request: pytest.FixtureRequest, tmp_path_factory) -> str:
    """URL of a database holding the Kamakura demo and one risk run."""
    return prepared_database(request.param, tmp_path_factory.mktemp("maps"), request, *SCORED_DEMO)


@pytest.fixture(scope="module")
def map_app(scored_demo_url: str, tmp_path_factory):
    """The app over the scored demo, with no basemap (the tests make no request outside the app)."""
    from fm.config import Config
    from fm.web import create_app

    app = create_app(
        Config(
            database_url=scored_demo_url,
            instance_path=tmp_path_factory.mktemp("instance"),
            secret_key="test",
            basemap="none",
        )
    )
    app.config.update(TESTING=True)
    yield app
    app.extensions["fm.database"].dispose()


@pytest.fixture(scope="module")
def map_client(map_app):
    from webauth import signed_in

    return signed_in(map_app, "viewer")
