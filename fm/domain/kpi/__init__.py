"""The city's facility-management indicators per fiscal year, computed from the records.

:mod:`fm.domain.kpi.measures` has one function per indicator; :func:`fm.domain.kpi.summary.summary`
puts them side by side with targets, change from the previous year and whether the
indicator is on track. Definitions: ``docs/indicators.md``.
"""

from fm.domain.kpi.measures import INDICATORS, KpiData, Measure, measure
from fm.domain.kpi.summary import available_years, summary

__all__ = ["INDICATORS", "KpiData", "Measure", "available_years", "measure", "summary"]
