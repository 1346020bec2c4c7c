"""The upload's preview runs in the background and says how far it has got (SQLite only: nothing here depends on
the backend; tests/web/test_upload.py runs the preview itself on both): the form's JSON answer, the progress
JSON to the end, the page shown while it runs, a preview that fails, one whose process stopped, and nothing
written on the way."""

from __future__ import annotations

import dataclasses
import io
import threading
import time

import pytest
import test_upload
from test_upload import GOOD, _counts, _same, _snapshot
from webauth import signed_in

from fm.app import uploads
from fm.io import importer
from fm.web import uploads as web_uploads

DEADLINE = 30.0
"""Seconds any wait here may last (a small file's preview takes well under one)."""


# test_upload's fixtures: the sample register, the app over it, a facility manager signed in; SQLite only
seeded, app, manager = test_upload.seeded, test_upload.app, test_upload.manager
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _send(client, body: str = GOOD):
    """The form as its script sends it: asking for JSON."""
    return client.post(
        "/upload",
        data={"kind": "assets", "file": (io.BytesIO(body.encode()), "assets.csv")},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )


def _until_ended(client, url: str) -> list[dict]:
    """Every progress answer until the preview is no longer running (bounded by DEADLINE)."""
    seen, deadline = [], time.monotonic() + DEADLINE
    while not seen or seen[-1]["state"] == "running":
        assert time.monotonic() < deadline, seen
        response = client.get(url)
        assert response.status_code == 200 and response.is_json
        seen.append(response.get_json())
        time.sleep(0.02)
    return seen


def test_the_script_follows_the_preview_to_its_end_and_nothing_is_written(seeded, app, manager):
    before = _snapshot(seeded)
    response = _send(manager)
    assert response.status_code == 202
    where = response.get_json()
    assert where["preview"].startswith("/upload/") and where["progress"] == where["preview"] + "/progress.json"
    seen = _until_ended(manager, where["progress"])
    assert seen[-1]["state"] == "done" and seen[-1]["step"] == seen[-1]["steps"] == 4
    assert seen[-1]["preview"] == where["preview"] and seen[-1]["message"] is None
    assert all(s["state"] in ("running", "done") and 0 <= s["step"] <= s["steps"] for s in seen)
    page = manager.get(where["preview"])
    assert page.status_code == 200 and _counts(page.get_data(as_text=True)) == (2, 1, 1)
    assert _same(before, _snapshot(seeded))
    assert signed_in(app, "engineer").get(where["progress"]).status_code == 404  # another user's upload


def test_the_page_shown_while_the_preview_runs(seeded, app, manager, monkeypatch):
    """While the check runs, /upload/<token> shows its stage (and reloads itself without the script); then the
    preview. The importer is held on an event (released at the latest after DEADLINE)."""
    release, started = threading.Event(), threading.Event()
    real = importer.import_file

    def held(*args, **kwargs):
        from fm import progress

        progress.report("checking every row", 1, 4)
        started.set()
        release.wait(DEADLINE)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "import_file", held)
    app.config["FM"] = dataclasses.replace(app.config["FM"], figures_wait=0.0)  # as under `fm serve`: no waiting
    token = _send(manager).get_json()["preview"].rsplit("/", 1)[1]
    assert started.wait(DEADLINE)
    try:
        for lang, stage in (("en", "Checking every row (1/4)"), ("ja", "全行を確認中 (1/4)")):
            page = manager.get(f"/upload/{token}?lang={lang}")
            text = page.get_data(as_text=True)
            assert page.status_code == 202 and stage in text, text
            assert '<meta http-equiv="refresh" content="2">' in text and "fm-upload.js" in text
            assert 'id="cancel"' in text and 'id="count-added"' not in text
        state = manager.get(f"/upload/{token}/progress.json?lang=en").get_json()
        assert (state["state"], state["label"], state["step"]) == ("running", "Checking every row", 1)
    finally:
        release.set()
    app.config["FM"] = dataclasses.replace(app.config["FM"], figures_wait=None)
    assert _until_ended(manager, f"/upload/{token}/progress.json")[-1]["state"] == "done"
    assert _counts(manager.get(f"/upload/{token}").get_data(as_text=True)) == (2, 1, 1)


def test_a_progress_question_waits_for_the_preview_to_end(seeded, app, manager, monkeypatch):
    """While the preview runs in this process, a progress question waits (at most HELD seconds) for it to end and
    answers what it is then, so the page hears of the end at once. The importer is held until that wait begins."""
    release, started = threading.Event(), threading.Event()
    real, real_wait = importer.import_file, uploads.wait_for_preview

    def held(*args, **kwargs):
        started.set()
        release.wait(DEADLINE)
        return real(*args, **kwargs)

    waits = []

    def wait(upload, seconds):
        waits.append(seconds)
        release.set()
        real_wait(upload, DEADLINE)  # here to the end, whatever the machine's speed

    monkeypatch.setattr(importer, "import_file", held)
    monkeypatch.setattr(uploads, "wait_for_preview", wait)
    where = _send(manager).get_json()
    assert started.wait(DEADLINE)
    state = manager.get(where["progress"]).get_json()
    assert (state["state"], state["step"], waits) == ("done", 4, [web_uploads.HELD])
    assert manager.get(where["progress"]).get_json()["state"] == "done" and len(waits) == 1  # no wait once ended


def test_a_preview_that_fails_says_so_and_writes_nothing(seeded, app, manager, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "import_file", broken)
    before = _snapshot(seeded)
    where = _send(manager).get_json()
    last = _until_ended(manager, where["progress"])[-1]
    assert last["state"] == "failed" and "disk on fire" in last["message"]
    page = manager.get(where["preview"] + "?lang=en")
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "The check of the file failed; nothing was written." in text and "disk on fire" in text
    assert 'id="upload-error"' in text and 'http-equiv="refresh"' not in text
    assert _same(before, _snapshot(seeded))


def test_a_preview_whose_process_stopped_is_failed_not_running_for_ever(app, manager, tmp_path):
    where = _send(manager).get_json()
    _until_ended(manager, where["progress"])
    token = where["preview"].rsplit("/", 1)[1]
    root = uploads.folder(app.config["FM"].instance_path)
    upload = uploads.find(root, token, owner=_owner(root, token))
    uploads._state(upload, state="running", stage="checking every row", step=1, steps=4, started=time.time())
    assert uploads.progress_of(upload)["state"] == "running"
    lost = uploads.progress_of(upload, now=time.time() + uploads.LOST + 1)
    assert lost["state"] == "failed" and "stopped without finishing" in lost["message"]


def _owner(root, token: str) -> str:
    import json

    return json.loads((root / token / uploads.META).read_text(encoding="utf-8"))["owner"]
