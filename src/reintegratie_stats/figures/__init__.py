"""Figures (matplotlib, Agg backend); every function returns a Figure and never shows it.

Every public figure function is wrapped in :func:`never_fails`: inside :func:`lenient` (the
report runner runs each step in it) a figure that cannot be drawn (an edge case in the data,
a matplotlib refusal) becomes a small figure that says why, plus a :class:`FigureWarning` that
the report lists under its step, so a figure never takes the tables of its step down with it.
Called directly, the functions raise as documented.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["FigureWarning", "lenient", "never_fails"]

_LENIENT = contextvars.ContextVar("reintegratie_stats_lenient_figures", default=False)

F = TypeVar("F", bound=Callable[..., Any])


class FigureWarning(UserWarning):
    """A figure could not be drawn; a placeholder saying why was returned instead."""


@contextlib.contextmanager
def lenient() -> Iterator[None]:
    """Within this block a failing figure function returns a placeholder instead of raising."""
    token = _LENIENT.set(True)
    try:
        yield
    finally:
        _LENIENT.reset(token)


def never_fails(fn: F) -> F:
    """Inside :func:`lenient`: return a placeholder figure (and warn) instead of raising.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> @never_fails
    ... def broken():
    ...     raise ValueError("'xerr' must not contain negative values")
    >>> with lenient(), warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     fig = broken()
    >>> fig.texts[0].get_text()
    "figure not drawn (broken): 'xerr' must not contain negative values"
    >>> w[0].category.__name__
    'FigureWarning'
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # a figure is never worth a step's tables
            if not _LENIENT.get():
                raise
            import matplotlib.pyplot as plt

            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            text = f"figure not drawn ({fn.__name__}): {reason}"
            warnings.warn(text, FigureWarning, stacklevel=2)
            fig = plt.figure(figsize=(6, 1.2))
            fig.text(0.02, 0.5, text, va="center", fontsize=8, wrap=True)
            return fig

    return wrapper  # type: ignore[return-value]
