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
