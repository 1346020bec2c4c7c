"""The security review's findings, each a test that failed before its fix: non-finite numbers, integer query
parameters out of range, downloads that would run as formulas, cache headers, secure cookies, the CSP's styles.

One SQLite app per module (the backend does not matter here); each test leaves the tables as it found them.
"""

from __future__ import annotations

import json
import math

import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database
from webauth import signed_in

from fm.config import Config
from fm.model import IndicatorTarget
from fm.serialize import to_json


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    return new_database("sqlite", tmp_path_factory.mktemp("security"))


@pytest.fixture(scope="module")
def app(url, tmp_path_factory):
    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=tmp_path_factory.mktemp("instance"), secret_key="t"))
    app.config.update(TESTING=True)
    yield app
    app.extensions["fm.database"].dispose()


@pytest.fixture(scope="module")
def finance(app):
    return signed_in(app, "finance")


def _targets(app) -> int:
    with app.extensions["fm.database"].session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(IndicatorTarget))


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "-inf", "Infinity"])
def test_a_non_finite_target_is_refused_on_the_page_and_by_the_cli(app, url, finance, value):
    page = finance.post(
        "/finance/targets?lang=en", data={"indicator": "aging_ratio", "fiscal_year": "2030", "value": value}
    )
    assert page.status_code == 400 and "not a finite number" in page.get_data(as_text=True)
    result = run(url, "targets", "set", "aging_ratio", "--fiscal-year", "2030", "--value", value)
    assert result.exit_code != 0 and "finite" in result.output
    assert _targets(app) == 0
    assert finance.get("/dashboard").status_code == 200


def test_the_json_encoder_never_writes_infinity_or_nan():
    text = to_json({"a": math.inf, "b": [float("nan"), -math.inf, 1.5], "c": {"d": float("1e400")}})
    assert json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON")) == {
        "a": None,
        "b": [None, None, 1.5],
        "c": {"d": None},
    }
    assert to_json(math.nan, compact=True) == "null"


@pytest.fixture(scope="module")
def admin(app):
    return signed_in(app, "admin")


HUGE = "999999999999999999999"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/admin/audit?record={HUGE}", 400),
        (f"/admin/audit?page={HUGE}", 400),
        (f"/admin/audit.csv?record={HUGE}", 400),
        ("/admin/audit?record=-1", 400),
        (f"/api/risk?top={HUGE}", 400),
        (f"/api/renewal?years={HUGE}", 400),
        (f"/inspections/{HUGE}/edit", 404),
        ("/admin/audit?record=2147483647&page=1000000", 200),
    ],
)
def test_integer_query_parameters_are_range_checked(admin, path, status):
    response = admin.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 400:
        assert "must be a whole number" in response.get_data(as_text=True)


def test_a_record_number_out_of_range_in_a_path_or_a_form_is_not_a_server_error(app, finance):
    response = finance.post(f"/finance/budgets/{HUGE}/P-1?lang=en", data={"planned_amount": "1"})
    assert response.status_code == 404
    from fm.app import forms

    assert forms._version(HUGE) is None and forms._version("3") == 3


def test_downloaded_cells_that_would_run_as_formulas_are_prefixed(app, admin):
    import io

    import openpyxl
    import pandas as pd

    from fm.accounts import users
    from fm.app import exchange

    with app.extensions["fm.database"].session() as session:
        users.create(
            session,
            "mallory",
            role="viewer",
            password="x" * 12,
            display_name='=HYPERLINK("http://evil/","x")',
            actor="test",
            source="cli",
        )
    csv = admin.get("/admin/audit.csv?table=users&record=").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(" in csv and ",=HYPERLINK" not in csv and '"=HYPERLINK' not in csv
    frame = pd.DataFrame(
        {"text": ["=1+1", "+81", "-x", "@SUM(A1)", "\tx", "\rx", "plain", None], "n": [-5, 1, 2, 3, 4, 5, 6, 7]}
    )
    workbook = openpyxl.load_workbook(io.BytesIO(exchange.table_bytes(frame, "xlsx", sheet="t")))
    values = [(row[0], row[1]) for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert values == [
        ("'=1+1", -5),
        ("'+81", 1),
        ("'-x", 2),
        ("'@SUM(A1)", 3),
        ("'\tx", 4),
        ("'\nx", 5),  # XML reads a CR as LF
        ("plain", 6),
        (None, 7),
    ]
    csv = exchange.table_bytes(frame, "csv", sheet="t").decode("utf-8-sig")
    assert csv.splitlines()[1:3] == ["'=1+1,-5", "'+81,1"]


@pytest.mark.parametrize("path", ["/api/stats", "/admin/audit.csv", "/admin/audit", "/api/risk"])
def test_signed_in_data_is_never_cached(admin, path):
    assert admin.get(path).headers.get("Cache-Control") == "no-store"


def test_static_files_may_be_cached(admin):
    assert admin.get("/static/fm.css").headers.get("Cache-Control") != "no-store"


def test_secure_cookies_are_a_setting(url, tmp_path, monkeypatch):
    from fm.web import create_app

    monkeypatch.setenv("FM_SECURE_COOKIES", "1")
    monkeypatch.setenv("FM_DATABASE_URL", url)
    monkeypatch.setenv("FM_INSTANCE_PATH", str(tmp_path))
    secure = create_app()
    assert secure.config["SESSION_COOKIE_SECURE"] and secure.config["REMEMBER_COOKIE_SECURE"]
    client = secure.test_client()
    cookies = client.get("/sign-in?lang=en", base_url="https://fm.example").headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies
    secure.extensions["fm.database"].dispose()
    monkeypatch.setenv("FM_SECURE_COOKIES", "maybe")
    with pytest.raises(ValueError, match="FM_SECURE_COOKIES must be 1 or 0"):
        create_app()


def test_the_policy_allows_no_inline_style(admin):
    response = admin.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "style-src 'self' 'nonce-" in policy
    assert ' style="' not in response.get_data(as_text=True)
