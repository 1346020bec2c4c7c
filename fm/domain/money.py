"""Money in integer yen: shares of amounts and totals, computed exactly, never through a float.

Amounts are whole yen (int64, as the BIGINT columns hold them). A share given as a decimal
(``0.3`` in a settings file) is taken as the exact fraction it is written as (3/10), not as
the binary float nearest to it; totals are added in Python integers, which do not wrap round.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd


def fraction(share: float | int | str | Decimal | Fraction) -> Fraction:
    """``share`` as the exact fraction it is written as: ``0.3`` is 3/10.

    >>> fraction(0.3), fraction("1/3"), fraction(1)
    (Fraction(3, 10), Fraction(1, 3), Fraction(1, 1))
    """
    if isinstance(share, Fraction):
        return share
    if isinstance(share, float):
        return Fraction(Decimal(repr(share)))
    return Fraction(share)


def share_of(amounts: np.ndarray | pd.Series, share: float | int | str | Decimal | Fraction) -> np.ndarray:
    """``amounts × share`` in whole yen, rounded half up, exactly (int64 in, int64 out).

    Formed as ``(a // d) × n + round((a % d) × n / d)``, whose terms stay within int64 for
    every amount a BIGINT holds and shares up to 1 with denominators below about 3×10⁹.

    >>> share_of(np.array([10_564_000, 5, 1]), 0.7).tolist(), share_of(np.array([5]), 0.5).tolist()
    ([7394800, 4, 1], [3])
    """
    exact = fraction(share)
    if exact < 0:
        raise ValueError(f"a share must not be negative, got {share!r}")
    numerator, denominator = exact.numerator, exact.denominator
    values = np.asarray(amounts, dtype="int64")
    whole, part = np.divmod(values, denominator)
    return whole * numerator + (2 * part * numerator + denominator) // (2 * denominator)


def divide(amount: int, parts: int) -> int:
    """``amount ÷ parts`` in whole yen, rounded half up, in integers (a yearly average of a total).

    >>> divide(100, 40), divide(-100, 40), divide(10**20 + 20, 40)
    (3, -2, 2500000000000000001)
    """
    if parts <= 0:
        raise ValueError(f"divide by a positive number of parts, got {parts}")
    return (2 * int(amount) + parts) // (2 * parts)


def total(amounts: Iterable[int] | pd.Series) -> int:
    """The exact sum of whole amounts of yen (Python integers: no int64 wrap-round), missing ones left out.

    >>> total(pd.Series([2**62, 2**62, None], dtype="Int64"))
    9223372036854775808
    >>> total(pd.Series([-(2**63), 2**63 - 1, 5])), total(pd.Series([1_000, None, 2], dtype="Int64"))
    (4, 1002)
    """
    if isinstance(amounts, pd.Series):
        present = amounts.dropna()
        if len(present) and pd.api.types.is_integer_dtype(present.dtype):
            values = present.to_numpy(dtype="int64")
            largest = max(abs(int(values.min())), abs(int(values.max())))
            if largest <= (2**63 - 1) // len(values):  # no partial sum can leave int64: numpy's sum is exact
                return int(values.sum())
        amounts = present.tolist()
    return sum(int(a) for a in amounts)
