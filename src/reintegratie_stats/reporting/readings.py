"""The report's readings of your own results: what the data at hand show, in one sentence.

Every published table of the report carries a reading, made by the function its record in the
report spec attaches to it (:mod:`.sections`). :func:`reading` makes the same sentence for a
table you computed yourself (a notebook, a script): the same function, the same text in
``report_texts_<lang>.yaml``, the same disclosure rule (a reading quotes only groups at or
above the threshold). :func:`multilevel` gives the two readings of a chapter-4 or family model
ladder (a :class:`~reintegratie_stats.multilevel.ModelSet`), made by the report's own ladder
reading. :func:`names` lists the tables :func:`reading` knows.

A notebook quotes the thesis's finding as the thesis's, then prints what its data show:

>>> import pandas as pd
>>> from reintegratie_stats.reporting.sections import CH2_CONTACT_RATES
>>> name = CH2_CONTACT_RATES.outputs[0].name  # the contact rates of chapter 2
>>> rates = pd.DataFrame({"type": ["casemanager", "probation", "care"],
...                       "n": [4100, 4100, 4100], "rate": [0.61, 0.44, 0.19]})
>>> print(reading(name, rates))
Contact is most common with the case manager (61%) and least common with the care professional (19%).
>>> reading(name, rates, lang="nl") != reading(name, rates)
True

The reading is made from the table passed, protected only by the threshold: the report may
withhold a step's readings when its tables lose cells to the joint (secondary) suppression over
the whole report, which one table alone cannot know.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..labels import check_lang
from ..schema import load_codebook
from .runner import ReportContext
from .sections import LADDERS, SECTIONS, ladder_readings
from .spec import Output, read_output

__all__ = ["LadderReadings", "multilevel", "names", "reading"]


def _outputs() -> dict[str, Output]:
    return {o.name: o for sec in SECTIONS for o in sec.outputs}


def names() -> tuple[str, ...]:
    """The published tables whose reading :func:`reading` makes from the table alone, in
    report order (the others need their section's results: the data overview, and the
    model ladders of chapter 4 and the family models, see :func:`multilevel`).

    >>> from reintegratie_stats.reporting.sections import CH2_SATISFACTION, DATA
    >>> CH2_SATISFACTION.outputs[0].name in names(), DATA.outputs[0].name in names()
    (True, False)
    """
    return tuple(
        o.name for o in _outputs().values() if o.kind == "table" and o.reading_from == "table"
    )


class _SectionOnly:
    """Stands for the section's results and the report's inputs, which a table-only reading
    must not read: any use raises an error naming the output."""

    def __init__(self, name: str):
        self._name = name

    def _refuse(self, *args: Any) -> Any:
        raise ValueError(
            f"the reading of {self._name!r} uses its report section's results, not only the "
            "table; it cannot be made from the table alone"
        )

    __getitem__ = __getattr__ = __contains__ = __iter__ = _refuse


def _not_readable(name: str, o: Output | None) -> ValueError:
    if o is None:
        close = difflib.get_close_matches(name, names(), n=3)
        hint = (
            f" (did you mean {', '.join(close)}?); readings.names() lists those that do"
            if close
            else f"; those that do: {', '.join(names())}"
        )
        return ValueError(f"no report table named {name!r} has a reading{hint}")
    if o.kind != "table":
        return ValueError(f"{name!r} is a figure of the report, not a table with a reading")
    ladder = next((s for s in SECTIONS if o in s.outputs and s.name in LADDERS), None)
    hint = (
        f"; for the models of step {ladder.name!r} use readings.multilevel(models)"
        if ladder is not None
        else "; the report makes it (build_report)"
    )
    return ValueError(
        f"the reading of {name!r} is made from its report section's results, not from the "
        f"table alone{hint}"
    )


def reading(name: str, table: pd.DataFrame, lang: str = "en", threshold: int | None = None) -> str:
    """The report's reading of table ``name``, made from ``table``.

    Parameters
    ----------
    name : str
        A published table of the report (one of :func:`names`), e.g. ch2_contact_rates.
    table : pandas.DataFrame
        That table as the analysis API returns it (unprotected, e.g.
        ``descriptives.contact_rates(prisoners)``).
    lang : {"en", "nl"}
        Language of the sentence.
    threshold : int, optional
        Disclosure threshold: groups below it are not quoted. Default: the codebook's.

    Returns
    -------
    str
        The sentence the report prints under that table for the same data.

    Raises
    ------
    ValueError
        ``name`` is no table of the report, or its reading needs its section's results
        (the message names the output and what to use instead); ``lang`` is unknown.
    TypeError
        ``table`` is not a DataFrame.
    """
    check_lang(lang)
    o = _outputs().get(name)
    if o is None or o.kind != "table" or o.reading_from != "table":
        raise _not_readable(name, o)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the table of {name!r} must be a DataFrame, got {type(table).__name__}")
    sentinel = _SectionOnly(name)
    ctx = ReportContext(inputs=sentinel, lang=lang)  # type: ignore[arg-type]
    if threshold is not None:
        ctx.threshold = int(threshold)
    return read_output(o, table, sentinel, ctx)


@dataclass(frozen=True)
class LadderReadings:
    """The two readings of a model ladder; ``str()`` gives both, one per line.

    Attributes
    ----------
    icc : str
        Intraclass correlation of each null model (the model-comparison table's reading).
    terms : str
        Which outcomes the block of institution-level terms relates to, with every outcome's
        block p and combined odds ratio (the estimates' reading).
    """

    icc: str
    terms: str

    def __str__(self) -> str:
        return f"{self.icc}\n{self.terms}"


def _ladder_section(models: Any) -> str:
    terms = set(models.estimates["term"]) if "term" in models.estimates else set()
    cb = load_codebook()
    hits = [s for s, (of, _) in LADDERS.items() if terms & set(of(cb))]
    if len(hits) != 1:
        raise ValueError(
            "cannot tell the ladder of these models from their terms (institution scores for "
            "facilitation_models, family facilities for family_models); pass "
            f"section= one of {list(LADDERS)}"
        )
    return hits[0]


def multilevel(models: Any, lang: str = "en", *, section: str | None = None) -> LadderReadings:
    """The report's readings of a model ladder (null -> individual -> institutional).

    Parameters
    ----------
    models : ModelSet
        :func:`~reintegratie_stats.multilevel.facilitation_models` or
        :func:`~reintegratie_stats.multilevel.family_models`.
    lang : {"en", "nl"}
        Language of the sentences.
    section : {"ch4_facilitation", "family_multilevel"}, optional
        The report step whose ladder these are; by default told from the models' terms.

    Returns
    -------
    LadderReadings
        What the report prints under the model-comparison table (``icc``) and under the
        estimates and the odds-ratio figure (``terms``).
    """
    check_lang(lang)
    if not hasattr(models, "table") or not hasattr(models, "estimates"):
        raise TypeError(f"models must be a ModelSet, got {type(models).__name__}")
    if section is None:
        section = _ladder_section(models)
    elif section not in LADDERS:
        raise ValueError(f"section must be one of {list(LADDERS)}, got {section!r}")
    icc, terms = ladder_readings(models, section, ReportContext(inputs=None, lang=lang))
    return LadderReadings(icc, terms)
