"""Languages of the web app: Japanese first, English on request.

Messages are written in English in the templates and code (``_("…")``) and
translated in the gettext catalogue ``fm/translations/ja/LC_MESSAGES/messages.po``
(Flask-Babel). The language comes from ``?lang=ja|en`` (remembered in a cookie and, when
signed in, on the account), else the account's language, else the cookie, else Japanese.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from fm.app import users
from fm.web.context import session

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
COOKIE = "fm_lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_language() -> str:
    """The language of the current request."""
    account = current_user.language if current_user and current_user.is_authenticated else None
    for candidate in (request.args.get("lang"), account, request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT


def label(row: dict[str, Any], key: str = "name") -> str:
    """The Japanese ``name`` or the English ``name_en`` of a record, by the current language."""
    return row[f"{key}_en"] if str(get_locale()) == "en" else row[key]


def with_language(code: str) -> str:
    """This page's address in another language, its other query parameters kept (a filtered list stays so)."""
    query = [(k, v) for k, values in request.args.lists() if k != "lang" for v in values]
    return "?" + urlencode([*query, ("lang", code)])


def init_app(app: Flask) -> None:
    """Set up Flask-Babel, the language cookie and the template helpers on ``app``."""
    Babel(
        app, locale_selector=select_language, default_locale=DEFAULT, default_translation_directories=str(TRANSLATIONS)
    )

    @app.after_request
    def remember_language(response: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(
                COOKIE,
                chosen,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=current_app.config["FM"].secure_cookies,
                httponly=True,
            )
        if (
            chosen in LANGUAGES
            and response.status_code < 500  # the database may be busy or down: the cookie remembers it meanwhile
            and current_user.is_authenticated
            and current_user.language != chosen
        ):
            with session() as active:
                users.set_language(active, current_user.id, chosen)
        return response

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"label": label, "lang": str(get_locale()), "languages": LANGUAGES, "with_language": with_language}
