"""The Japanese catalogue covers every message and its compiled .mo is up to date."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "fm" / "translations" / "ja" / "LC_MESSAGES"
METHODS = [("fm/**.py", "python"), ("templates/**.html", "jinja2")]


def _catalogue():
    with open(CATALOGUE / "messages.po", "rb") as po:
        return read_po(po, locale="ja")


def test_every_message_has_a_japanese_translation():
    catalogue = _catalogue()
    used = {message for _file, _line, message, _comments, _context in extract_from_dir(ROOT, METHODS)}
    assert used, "no messages found: is the extraction set up?"
    missing = sorted(m for m in used if not (catalogue.get(m) and catalogue.get(m).string))
    assert missing == [], f"add these to {CATALOGUE / 'messages.po'}"
    unused = sorted(m.id for m in catalogue if m.id and m.id not in used)
    assert unused == [], "remove these from messages.po"


def test_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.mo", "rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == {m.id: m.string for m in _catalogue() if m.id}, "run: pybabel compile -d fm/translations"
