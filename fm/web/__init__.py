"""The Flask application factory: one blueprint module per area, each over the use cases of the same name in
:mod:`fm.app`; the JSON API's blueprints are mounted under ``/api``."""

from __future__ import annotations

from flask import Flask

from fm import __version__
from fm.app import stored_figures
from fm.app.maps import basemap
from fm.config import Config
from fm.db import POOL_SIZE, Database
from fm.resources import resource_path


def create_app(config: Config | None = None, *, threads: int = POOL_SIZE) -> Flask:
    """Build the app for ``config`` (default: from the environment), to answer on ``threads`` threads at once
    (its database pool keeps as many connections open).

    The database is opened lazily: building the app never touches it, so a broken
    database shows as an error page that says what to do, not a crash at start. A bad
    basemap setting stops it at once (ValidationError).
    """
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(resource_path("templates")), static_folder="static")
    from fm.web.api import RecordNumber

    app.url_map.converters["int"] = RecordNumber
    app.config.update(
        SECRET_KEY=config.resolved_secret_key(), FM=config, FM_TILES=basemap(config.basemap, config.basemap_attribution)
    )
    database = Database(config.database_url, busy_timeout=config.busy_timeout, connections=threads)
    app.extensions["fm.database"] = database
    stored_figures.keep_in(database.engine.url, app.config["SECRET_KEY"])  # the pages' figures outlive a restart
    app.jinja_env.globals["fm_version"] = __version__

    from flask_wtf import CSRFProtect

    from fm.web import (
        asset_page,
        audit,
        auth,
        catchments,
        dashboard,
        duties,
        errors,
        finance,
        forms,
        freshness,
        home,
        i18n,
        kpi,
        ledger,
        maps,
        ogcapi,
        parcels,
        plans,
        portfolio,
        register,
        risk,
        scenarios,
        schedule,
        security,
        stats,
        tokens,
        uploads,
        users,
    )

    CSRFProtect(app)
    freshness.init_app(app, config)
    i18n.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    areas = (home, users, audit, finance, ledger, dashboard, maps, register, asset_page, schedule, forms)
    areas += (parcels, plans, portfolio, catchments, scenarios)
    for area in areas:
        app.register_blueprint(area.pages)
    app.register_blueprint(risk.pages)
    app.register_blueprint(ogcapi.pages)
    app.register_blueprint(tokens.pages)
    api_areas = (
        stats,
        kpi,
        risk,
        duties,
        dashboard,
        maps,
        register,
        schedule,
        portfolio,
        catchments,
        scenarios,
        ledger,
    )
    for area in api_areas:
        app.register_blueprint(area.api, url_prefix="/api")
    uploads.init_app(app, config)
    if config.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N proxies, believe the last N hops of X-Forwarded-For/-Proto/-Host (the client's address for
        # the sign-in limit and the audit, https for secure cookies and redirects); never more.
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app
