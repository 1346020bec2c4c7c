"""Use cases of the audit trail pages: every change with who, where and when, filtered, paged, exported."""

from __future__ import annotations

from fm.accounts.audit import flatten as flatten
from fm.accounts.audit import history as history
from fm.accounts.audit import tables as tables
from fm.model.people import ACTIONS as ACTIONS
from fm.model.people import SOURCES as SOURCES
