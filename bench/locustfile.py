"""The mixes of bench/load.py.

**People** (``Viewer``, ``FacilityManager``, ``Engineer``, ``Finance``): viewers on the register, facility
managers on the risk map, engineers on the schedule, finance on the dashboard, each signed in with an account
of their own and a think time between requests.

**Capacity** (``RegisterCapacity``, ``ViewportCapacity``): what the server can do, not what people ask of it:
each user asks again as soon as it is answered (no think time), so requests/s is the server's throughput. They
are locust's FastHttpUser (geventhttpclient: several times less of locust's own CPU a request than the
requests-based HttpUser, which matters when locust shares the server's cores) and start signed in, with a
session cookie bench/load.py got for them beforehand, so that the run measures the pages, not 32 password
hashes.

Read by locust (``locust -f bench/locustfile.py --headless … CLASS …``); bench/load.py makes the accounts,
serves the app and runs it. Environment: FM_BENCH_PASSWORD (the accounts' password), FM_BENCH_CODES (a file of
asset codes, one a line, for the asset pages) and FM_BENCH_COOKIES (a file of Cookie headers, one a line, for
the capacity mixes).
"""

from __future__ import annotations

import itertools
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, constant, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ.get("FM_BENCH_PASSWORD", "")
CODES = Path(os.environ["FM_BENCH_CODES"]).read_text().split() if os.environ.get("FM_BENCH_CODES") else []
ACCOUNTS = {role: itertools.count() for role in ("viewer", "facility_manager", "engineer", "finance")}
COOKIES = Path(os.environ["FM_BENCH_COOKIES"]).read_text().splitlines() if os.environ.get("FM_BENCH_COOKIES") else []
SIGNED_IN = itertools.count()
WEST, SOUTH, EAST, NORTH = 139.50, 35.29, 139.58, 35.35  # Kamakura
SEARCHES = ("橋", "公園", "トンネル", "道路")


def viewport() -> str:
    """A viewport at zoom 13–16 somewhere over the city, as a person pans and zooms."""
    zoom = random.choice([13, 14, 15, 16])
    width = (EAST - WEST) / 2 ** (zoom - 12)
    height = (NORTH - SOUTH) / 2 ** (zoom - 12)
    west = random.uniform(WEST, EAST - width)
    south = random.uniform(SOUTH, NORTH - height)
    return f"/api/map/risk?bbox={west:.5f},{south:.5f},{west + width:.5f},{south + height:.5f}&zoom={zoom}"


class Person(HttpUser):
    """Signs in once with an account of its role (bench-<role>-<n>), then works with a think time."""

    abstract = True
    role = "viewer"
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        page = self.client.get("/sign-in", name="sign-in page")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        username = f"bench-{self.role.replace('_', '-')}-{next(ACCOUNTS[self.role])}"
        answer = self.client.post(
            "/sign-in",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
            name="sign in",
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{username} could not sign in: {answer.status_code}")


class Viewer(Person):
    weight = 4

    @task(3)
    def register_first_page(self) -> None:
        self.client.get("/assets", name="register: first page")

    @task(2)
    def register_filtered(self) -> None:
        self.client.get("/assets?category=bridge&risk=very_high,high", name="register: filtered")

    @task(2)
    def register_search(self) -> None:
        self.client.get("/assets?q=" + random.choice(SEARCHES), name="register: search")

    @task(2)
    def asset_page(self) -> None:
        if CODES:
            self.client.get(f"/assets/{random.choice(CODES)}", name="asset page")


class FacilityManager(Person):
    weight = 2
    role = "facility_manager"

    @task
    def pan_and_zoom(self) -> None:
        self.client.get(viewport(), name="risk map: viewport")


class Engineer(Person):
    weight = 1
    role = "engineer"

    @task(2)
    def by_month(self) -> None:
        self.client.get("/schedule", name="schedule: by month")

    @task
    def by_week(self) -> None:
        self.client.get("/schedule?by=week", name="schedule: by week")


class Finance(Person):
    weight = 1
    role = "finance"

    @task(2)
    def landing(self) -> None:
        self.client.get("/", name="landing page")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name="dashboard")

    @task
    def indicator(self) -> None:
        self.client.get("/dashboard/aging_ratio", name="dashboard: an indicator")

    @task
    def top_risks(self) -> None:
        self.client.get("/api/risk?top=50", name="risk list: top 50")


class Capacity(FastHttpUser):
    """Asks again as soon as it is answered, signed in from the start with a cookie of its own."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        if not COOKIES:
            raise RuntimeError("FM_BENCH_COOKIES holds no session cookie: run the capacity mixes from bench/load.py")
        self.cookie = {"Cookie": COOKIES[next(SIGNED_IN) % len(COOKIES)]}

    def get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, headers=self.cookie, allow_redirects=False, catch_response=True) as got:
            if got.status_code != 200:  # a redirect to sign-in would be a failure too
                got.failure(f"status {got.status_code}")


class RegisterCapacity(Capacity):
    """The register as fast as the server answers: first page, a filter, a search, a later page."""

    @task(3)
    def first_page(self) -> None:
        self.get("/assets", "register: first page")

    @task(2)
    def filtered(self) -> None:
        self.get("/assets?category=bridge&risk=very_high,high", "register: filtered")

    @task(2)
    def search(self) -> None:
        self.get("/assets?q=" + random.choice(SEARCHES), "register: search")

    @task(1)
    def later_page(self) -> None:
        self.get(f"/assets?page={random.randint(2, 200)}", "register: a later page")


class ViewportCapacity(Capacity):
    """The risk map's viewport as fast as the server answers (zoom 13–16, anywhere over the city)."""

    @task
    def pan_and_zoom(self) -> None:
        self.get(viewport(), "risk map: viewport")
