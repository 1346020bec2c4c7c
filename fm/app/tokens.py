"""Use cases of API tokens: `fm tokens`, the tokens page, and signing a request in by its token
(the audited writes are :mod:`fm.accounts.tokens`' own)."""

from __future__ import annotations

from fm.accounts.tokens import DEFAULT_DAYS as DEFAULT_DAYS
from fm.accounts.tokens import MAX_DAYS as MAX_DAYS
from fm.accounts.tokens import authenticate as authenticate
from fm.accounts.tokens import create as create
from fm.accounts.tokens import listing as listing
from fm.accounts.tokens import revoke as revoke
