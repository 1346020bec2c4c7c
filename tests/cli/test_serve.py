"""`fm serve --workers 2`, the real server on the six-asset sample (tests/sample.py): two worker processes
(gunicorn) over one port, a person signed in on one worker is signed in on the other (the key settled once,
in the master), each worker with a database engine of its own, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from databases import new_database
from sample import add_sample
from webauth import PASSWORD, ensure_user

from fm.cli.serve import default_workers, gunicorn_available
from fm.db import Database

FM = str(Path(sys.executable).with_name("fm"))
PAGES = ("/assets", "/assets?q=橋", "/api/assets?per_page=25", "/schedule")
ANSWER = re.compile(r'"GET (\S+) HTTP/1\.1" (\d{3}) .* worker <?(\d+)>?')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            pytest.fail(f"fm serve ended ({process.returncode}) before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("fm serve did not listen within 60 s")


def test_default_workers_is_the_cores_this_process_may_use():
    assert default_workers() == max(1, len(os.sched_getaffinity(0)))


def test_two_workers_serve_one_signed_in_person_and_stop_cleanly(tmp_path, request):
    if not gunicorn_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("gunicorn is required under CI=true (pip install -c requirements-test.lock -e .)")
        pytest.skip("gunicorn is not installed here")
    url = new_database("sqlite", tmp_path, request)
    database = Database(url)
    with database.session() as session:
        add_sample(session)  # six assets: the register has rows to page and search
    database.dispose()
    ensure_user(url, "viewer", "viewer")
    port = _free_port()
    log = tmp_path / "serve.log"
    # no FM_SECRET_KEY: the key is made in the instance folder, once, by the master, and read by both workers
    env = {**os.environ, "FM_DATABASE_URL": url, "FM_INSTANCE_PATH": str(tmp_path / "instance"), "FM_BASEMAP": "none"}
    env.pop("FM_SECRET_KEY", None)
    with log.open("w") as output:
        server = subprocess.Popen(
            [FM, "serve", "--port", str(port), "--workers", "2", "--threads", "2", "--access-log"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        person = requests.Session()
        form = person.get(f"{base}/sign-in", timeout=60).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed = person.post(
            f"{base}/sign-in",
            data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )
        assert signed.status_code == 302, signed.text

        def ask(path: str) -> int:
            # a new connection each time, so that either worker may accept it; the person's own cookie
            answer = requests.get(
                f"{base}{path}",
                cookies=person.cookies,
                headers={"Connection": "close"},
                allow_redirects=False,
                timeout=60,
            )
            return answer.status_code

        workers: set[str] = set()
        with ThreadPoolExecutor(4) as pool:
            for _ in range(40):
                statuses = list(pool.map(ask, PAGES * 2))
                assert statuses == [200] * len(statuses)  # signed in on whichever worker answered
                answers = [ANSWER.search(line) for line in log.read_text().splitlines()]
                workers = {m.group(3) for m in answers if m and m.group(2) == "200" and m.group(1) != "/sign-in"}
                if len(workers) >= 2:
                    break
        assert len(workers) == 2, log.read_text()
        children = {str(pid) for pid in _children(server.pid)}
        assert workers <= children  # answered by the master's two workers, not by the master
    finally:
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=60)
    assert returncode == 0, log.read_text()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # the workers stopped with it
    assert "Traceback" not in log.read_text()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found
