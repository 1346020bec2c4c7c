"""The Flask application factory: web pages and the JSON API over fm.service."""

from __future__ import annotations

from flask import Flask

from fm import __version__
from fm.config import Config
from fm.db import Database
from fm.maps.basemap import basemap
from fm.resources import resource_path


def create_app(config: Config | None = None) -> Flask:
    """Build the app for ``config`` (default: from the environment).

    The database is opened lazily: building the app never touches it, so a broken
    database shows as an error page that says what to do, not a crash at start. A bad
    basemap setting stops it at once (ValidationError).
    """
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(resource_path("templates")), static_folder="static")
    app.config.update(SECRET_KEY=config.resolved_secret_key(), FM=config,
                      FM_TILES=basemap(config.basemap, config.basemap_attribution))
    app.extensions["fm.database"] = Database(config.database_url)
    app.jinja_env.globals["fm_version"] = __version__

    from flask_wtf import CSRFProtect

    from fm.web import (admin, api, assets, auth, dashboard, errors, finance, i18n, maps, parcels, plans, register,
                        schedule, security, uploads, views)
    from fm.web import forms as record_forms

    CSRFProtect(app)
    i18n.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(finance.blueprint)
    app.register_blueprint(api.blueprint, url_prefix="/api")
    app.register_blueprint(dashboard.pages)
    app.register_blueprint(dashboard.api, url_prefix="/api")
    app.register_blueprint(maps.blueprint)
    app.register_blueprint(maps.api, url_prefix="/api")
    app.register_blueprint(register.blueprint)
    app.register_blueprint(register.api, url_prefix="/api")
    app.register_blueprint(assets.blueprint)
    app.register_blueprint(schedule.pages)
    app.register_blueprint(schedule.api, url_prefix="/api")
    uploads.init_app(app, config)
    app.register_blueprint(record_forms.blueprint)
    app.register_blueprint(parcels.blueprint)
    app.register_blueprint(plans.blueprint)
    return app
