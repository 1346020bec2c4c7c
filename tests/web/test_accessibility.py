"""Every HTML page of the app, checked by axe-core in Chromium against WCAG 2.0/2.1 level A and AA (JIS X 8341-3:2016
level AA has the same success criteria as WCAG 2.0 AA).

No page is listed by hand: the pages are the app's GET rules (``app.url_map``) that return HTML, and the values of
their URL parameters (an asset code, an indicator, a plan, a map, …) come from the links the app itself shows on a
small hand-made register (tests/forms/formsample.py with a risk run and one pending upload), followed from the
parameterless pages. A page rule no link fills fails the test, so a page added later is covered (or says what it
needs) without anyone listing it. Each page is checked in Japanese and English as every role; a role whose page is
the same HTML as one already checked (but for the account's name and the per-request tokens) is not checked twice.

axe-core is axe-playwright-python's copy (``axe_playwright_python/axe.min.js``, MPL-2.0), read from the installed
package: nothing is fetched at run time. The run writes ``test-artifacts/accessibility.json`` (pages, roles,
languages, rules, axe-core version, violations), which ``bench/accessibility_statement.py`` turns into the statement
of conformance docs/accessibility-results.md (see docs/accessibility.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html.parser
import json
import re
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import chromium
import pytest
import sqlalchemy as sa
from axe_playwright_python.base import AXE_SCRIPT
from clirun import run
from databases import new_database
from forms.formsample import seed
from webauth import PASSWORD, ensure_user

from fm.config import Config
from fm.db import Database
from fm.model import Asset, District, DistrictPopulation, Inspection, Service, ServiceBuilding, ServiceUsage, WorkOrder

pytestmark = pytest.mark.browser

ROLES = ("viewer", "engineer", "facility_manager", "finance", "admin")
LANGUAGES = ("ja", "en")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NOT_PAGES = re.compile(r"^/(api|static)/|^/ogcapi/api$|\.<[^>]+>$|\.json$")
"""Rules that never answer HTML: the JSON API and its OpenAPI document, static files, and downloads named by
their extension. The OGC API's other pages answer HTML to a browser (its Accept header), so they are checked."""
PER_RULE = {"/maps/<kind>": 9, "/upload/<token>": 2}
"""How many distinct paths of a rule are checked, if not one (the maps differ by kind; one upload is refused)."""
SEEDS = ["/parcels/LP-001"]
"""Pages no page links to (a parcel is reached from the land map's features, drawn by script)."""
ERROR_PAGE = "/assets/NO-SUCH-ASSET"
"""The error page (404), checked as well."""
VOLATILE = [
    (re.compile(r"<header class=\"top\">.*?</header>", re.S), ""),  # the account's name, role and links
    (re.compile(r'(csrf-token" content|name="csrf_token" value|nonce)="[^"]*"'), r'\1=""'),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "id"),  # Folium's element ids
    (re.compile(r"/upload/[A-Za-z0-9_-]{16,}"), "/upload/token"),
]
UPLOADS = {
    "good.csv": "code,name,category,district,year_built,lon,lat\nN-001,新川橋,bridge,ofuna,2001,139.52,35.355\n",
    "refused.csv": "code,name,category,year_built,lon,lat\nN-003,,bridge,19x8,139.52,35.355\nN-004,城,castle,1,1,1\n",
}


@dataclass
class Site:
    base: str
    rules: dict[str, str]  # rule → endpoint, for every HTML page rule
    adapter: Any  # the url map's, to match a link to its rule
    checked: list[dict] = field(default_factory=list)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _links(page_html: str) -> list[str]:
    parser = _Links()
    parser.feed(page_html)
    return parser.hrefs


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("a11y")
    url = new_database("sqlite", folder)
    seed(url)
    database = Database(url)
    with database.session() as session:  # B-001 judged Ⅳ (a statutory duty), a renewal planned (the schedule)
        session.add(Inspection(asset_id=1, inspected_on=dt.date(2024, 6, 1), soundness=4))
        session.add(WorkOrder(code="W-002", asset_id=2, kind="renewal", status="planned", planned_on=dt.date.today()))
        school = session.scalar(sa.select(Asset.id).where(Asset.code == "S-001"))  # a service housed: a facility card
        library = Service(code="SV-001", name="図書室", kind="library")
        session.add(library)
        session.flush()
        session.add(ServiceBuilding(service_id=library.id, asset_id=school, floor_area_m2=100))
        session.add(ServiceUsage(service_id=library.id, fiscal_year=2025, users=1000, operating_cost=1_000_000))
        for district in session.scalars(sa.select(District.id)):  # people to serve: the catchment page
            session.add(
                DistrictPopulation(district_id=district, fiscal_year=2024, age_0_14=10, age_15_64=60, age_65_over=30)
            )
    database.dispose()
    result = run(url, "score", "--as-of", "2026-04-01")
    assert result.exit_code == 0, result.output
    next_year = dt.date.today().year + (1 if dt.date.today().month >= 4 else 0)  # next fiscal year
    for args in (("create", "a11y"), ("add", "a11y", "close", "S-001", "--year", str(next_year))):
        result = run(url, "portfolio", "scenario", *args)  # a scenario: its page and its figures
        assert result.exit_code == 0, result.output
    for role in ROLES:
        ensure_user(url, f"a11y-{role.replace('_', '-')}", role)
    config = Config(database_url=url, instance_path=folder / "instance", secret_key="test", basemap="none")
    with chromium.live_app(config) as base:
        from fm.web import create_app

        app = create_app(config)
        rules = {
            rule.rule: rule.endpoint
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not NOT_PAGES.search(rule.rule)
        }
        adapter = app.url_map.bind("127.0.0.1")
        app.extensions["fm.database"].dispose()
        yield Site(base, rules, adapter)


def _signed_in(browser, site: Site, role: str | None):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    if role:
        page = context.new_page()
        page.goto(f"{site.base}/sign-in")
        page.fill("#username", f"a11y-{role.replace('_', '-')}")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("section.sign-in button[type=submit]")
        page.close()
    return context


def _uploads(context, site: Site) -> list[str]:
    """Two pending uploads of ``context``'s account (one to import, one refused): their previews, if it may upload."""
    token = re.search(r'name="csrf-token" content="([^"]+)"', context.request.get(f"{site.base}/upload").text())
    found = []
    for name, body in UPLOADS.items():
        response = context.request.post(
            f"{site.base}/upload",
            multipart={"kind": "assets", "file": {"name": name, "mimeType": "text/csv", "buffer": body.encode()}},
            headers={"X-CSRFToken": token.group(1)},
            max_redirects=0,
        )
        if response.status == 302:
            found.append(urllib.parse.urlsplit(response.headers["location"]).path)
    return found


def _crawl(context, site: Site, starts: list[str]) -> dict[str, list[str]]:
    """The paths to check for each page rule: the parameterless ones, and those the app's own links lead to."""
    paths: dict[str, list[str]] = {}
    queue = deque(starts)
    seen = set(starts)
    while queue:
        path = queue.popleft()
        try:
            endpoint, _ = site.adapter.match(path, method="GET")
        except Exception:  # noqa: BLE001 - a link outside the app's rules (an anchor, a redirect target)
            continue
        rule = next((r for r, e in site.rules.items() if e == endpoint), None)
        if rule is None or len(paths.setdefault(rule, [])) >= PER_RULE.get(rule, 1):
            continue
        response = context.request.get(site.base + path, max_redirects=0, headers={"Accept": "text/html"})
        if response.status in (301, 302, 303, 307, 308):  # a rule that redirects is checked on its target's page
            paths[rule].append(path)
            queue.append(urllib.parse.urlsplit(response.headers["location"]).path)
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        paths[rule].append(path)
        for href in _links(response.text()):
            target = urllib.parse.urlsplit(urllib.parse.urljoin(site.base + path, href))
            if f"{target.scheme}://{target.netloc}" == site.base and target.path not in seen:
                seen.add(target.path)
                queue.append(target.path)
    return paths


def _axe(page) -> dict:
    page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => axe.run(document, options)", options)["violations"]


def _report(url: str, violations: list[dict]) -> str:
    lines = [url]
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary'].splitlines()[-1]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def _fingerprint(page_html: str) -> str:
    for pattern, replacement in VOLATILE:
        page_html = pattern.sub(replacement, page_html)
    return hashlib.sha256(page_html.encode()).hexdigest()


def _visit(page, site: Site, role: str, rule: str, path: str, lang: str, failures: list[str]) -> None:
    """Check ``path`` in ``lang`` with axe-core; note what it found."""
    url = f"{site.base}{path}?lang={lang}"
    response = page.goto(url)
    violations = _axe(page)
    site.checked.append(
        {
            "rule": rule,
            "path": path,
            "lang": lang,
            "role": role,
            "status": response.status,
            "title": page.title(),
            "violations": [
                {"id": v["id"], "impact": v["impact"], "tags": v["tags"], "nodes": len(v["nodes"])} for v in violations
            ],
        }
    )
    if violations:
        failures.append(f"[{role}] " + _report(url, violations))


def test_every_page_meets_wcag_aa_in_both_languages_for_every_role(browser, site):
    """Signed out: the sign-in page. Signed in: the admin sees every page and every control, checked in both
    languages; each other role's page is checked (in Japanese: the markup of a page is the same in both) where its
    content (the header aside, checked already) differs from every page checked before."""
    starts = [rule for rule in site.rules if "<" not in rule]
    failures: list[str] = []
    context = _signed_in(browser, site, None)
    page = context.new_page()
    for lang in LANGUAGES:
        _visit(page, site, "anonymous", "/sign-in", "/sign-in", lang, failures)
    context.close()
    seen: set[str] = set()
    paths: dict[str, list[str]] = {}
    for role in ("admin", *(r for r in ROLES if r != "admin")):
        context = _signed_in(browser, site, role)
        found = _uploads(context, site)
        if role == "admin":
            paths = {**_crawl(context, site, starts + found + SEEDS), "(error page)": [ERROR_PAGE]}
        page = context.new_page()
        for rule, rule_paths in sorted({**paths, "/upload/<token>": found}.items()):
            for path in rule_paths:
                response = context.request.get(f"{site.base}{path}?lang=ja")
                fingerprint = _fingerprint(response.text())
                if fingerprint in seen:
                    continue
                seen.add(fingerprint)
                for lang in LANGUAGES if role == "admin" else LANGUAGES[:1]:
                    _visit(page, site, role, rule, path, lang, failures)
        context.close()
    _write_results(site, page_rules=sorted(site.rules))
    missing = sorted(rule for rule in site.rules if not paths.get(rule))
    print(f"{len(site.checked)} pages checked")
    assert not missing, (
        f"no link on any page fills these page rules, so axe-core never saw them: {missing}; "
        "give the sample register something they show (tests/web/test_accessibility.py)"
    )
    assert not failures, f"{len(failures)} pages violate WCAG 2.1 A/AA:\n" + "\n".join(failures)


def _write_results(site: Site, *, page_rules: list[str]) -> None:
    version = re.search(r"axe v([0-9.]+)", AXE_SCRIPT[:200]).group(1)
    chromium.ARTIFACTS.mkdir(exist_ok=True)
    (chromium.ARTIFACTS / "accessibility.json").write_text(
        json.dumps(
            {
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "tool": f"axe-core {version} (axe-playwright-python) in Chromium",
                "tags": TAGS,
                "roles": ["anonymous", *ROLES],
                "languages": list(LANGUAGES),
                "page_rules": page_rules,
                "checked": site.checked,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


def test_a_refused_form_takes_focus_to_its_summary_and_meets_wcag_aa(browser, site):
    """A save refused for bad fields (a state no GET shows): the summary takes the focus and links each field."""
    context = _signed_in(browser, site, "facility_manager")
    page = context.new_page()
    page.goto(f"{site.base}/assets/new?lang=ja")
    page.fill("#code", "B-001")  # taken, and the required name left out
    page.keyboard.press("Enter")
    page.wait_for_selector("#form-errors")
    chromium.wait_until(page, "document.activeElement && document.activeElement.id === 'form-errors'")
    links = page.locator("#form-errors a")
    assert links.count() >= 1
    href = links.first.get_attribute("href")
    assert page.locator(href).count() == 1, href  # each line leads to its field
    assert page.locator(f"{href}[aria-invalid=true]").count() == 1
    violations = _axe(page)
    assert not violations, _report(page.url, violations)
    context.close()
