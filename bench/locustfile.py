"""People's mixes for bench/load.py: viewers on the register, facility managers on the risk map,
engineers on the schedule, finance on the dashboard, each signed in with an account of their own.

Read by locust (``locust -f bench/locustfile.py --headless …``); bench/load.py makes the accounts,
serves the app and runs it. Environment: FM_BENCH_PASSWORD (the accounts' password) and
FM_BENCH_CODES (a file of asset codes, one a line, for the asset pages).
"""

from __future__ import annotations

import itertools
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

PASSWORD = os.environ.get("FM_BENCH_PASSWORD", "")
CODES = Path(os.environ["FM_BENCH_CODES"]).read_text().split() if os.environ.get("FM_BENCH_CODES") else []
ACCOUNTS = {role: itertools.count() for role in ("viewer", "facility_manager", "engineer", "finance")}
WEST, SOUTH, EAST, NORTH = 139.50, 35.29, 139.58, 35.35  # Kamakura


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
        self.client.get("/assets?q=" + random.choice(["橋", "公園", "トンネル", "道路"]), name="register: search")

    @task(2)
    def asset_page(self) -> None:
        if CODES:
            self.client.get(f"/assets/{random.choice(CODES)}", name="asset page")


class FacilityManager(Person):
    weight = 2
    role = "facility_manager"

    @task
    def pan_and_zoom(self) -> None:
        zoom = random.choice([13, 14, 15, 16])
        width = (EAST - WEST) / 2 ** (zoom - 12)
        height = (NORTH - SOUTH) / 2 ** (zoom - 12)
        west = random.uniform(WEST, EAST - width)
        south = random.uniform(SOUTH, NORTH - height)
        bbox = f"{west:.5f},{south:.5f},{west + width:.5f},{south + height:.5f}"
        self.client.get(f"/api/map/risk?bbox={bbox}&zoom={zoom}", name="risk map: viewport")


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
