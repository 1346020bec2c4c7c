"""The settings files' fingerprint (fm/domain/settings.py): what figures kept in the database were computed under."""

from __future__ import annotations

import re
from pathlib import Path

from fm.domain import settings


def test_every_user_file_a_loader_reads_is_in_the_fingerprint():
    domain = Path(settings.__file__).parent
    read = {
        name
        for module in domain.rglob("*.py")
        for name in re.findall(r"environ\.get\(\"(FM_\w+)\"", module.read_text())
    }
    assert read == set(settings.USER_FILES)


def test_the_fingerprint_follows_a_users_file_and_its_contents(tmp_path, monkeypatch):
    for name in settings.USER_FILES:
        monkeypatch.delenv(name, raising=False)
    packaged = settings.fingerprint()
    assert settings.fingerprint() == packaged
    mine = tmp_path / "risk.toml"
    mine.write_text("[inspection_cycle_years]\nbridge = 5\n", encoding="utf-8")
    monkeypatch.setenv("FM_RISK_CONFIG", str(mine))
    named = settings.fingerprint()
    mine.write_text("[inspection_cycle_years]\nbridge = 4\n", encoding="utf-8")
    changed = settings.fingerprint()
    assert len({packaged, named, changed}) == 3
    monkeypatch.setenv("FM_DUTIES", str(tmp_path / "missing.toml"))  # named but absent: its loader says so
    assert settings.fingerprint() != changed
