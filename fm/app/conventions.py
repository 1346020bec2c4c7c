"""The conventions every face shares: fiscal years (年度) and their labels, the depreciation conventions of
the aging ratio, and who is acting when a command is run. Faces take them from here, not from the domain."""

from __future__ import annotations

from fm.accounts.audit import cli_actor as cli_actor
from fm.domain.depreciation import CONVENTIONS as CONVENTIONS
from fm.domain.fiscal import fiscal_year as fiscal_year
from fm.domain.fiscal import fiscal_year_label as fiscal_year_label
