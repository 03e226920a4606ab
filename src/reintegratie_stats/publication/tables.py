"""Publication tables: the report's results shaped as in the thesis, one per chapter topic.

The tidy tables of the report (one row per estimate, canonical names, exact numbers) stay as
they are, for machines. This module turns the *protected* tidy tables of a report run (after
:func:`reintegratie_stats.disclosure.protect`: a suppressed cell is already the text ``<10``
or ``–`` and stays so) into :class:`PubTable` records a researcher pastes into a paper:

- 2.x: % with contact [95% CI], professional type by regime / detention length / phase;
- 3.1: prior needs by contact: % with contact with and without the need, OR [95% CI],
  Holm-adjusted p;
- 4.x (one per outcome): null | individual | institutional models side by side, OR [95% CI]
  and p per model, with the institution variance, ICC, MOR, AIC, the test of the model
  against the one before (the institutional block by the parametric bootstrap LRT), N
  prisoners and N institutions at the foot;
- 5.1: the domains side by side, b [95% CI] and p (cluster-robust OLS), domain-specific terms
  on one row ("in the domain"); 5.2: the slope of instrumental support by prior need and the
  difference (the interaction);
- F.x: the family-contact tables the same way.

Terms are labelled from the codebook with their reference category
(:func:`~.terms.term_label`); numbers are written in the language's style (decimal comma in
Dutch). Every table carries a reading that states its finding from the same cells, with the
calibrated tests of the table (the chapter-4 block by the bootstrap LRT). Words live in
``report_texts_<lang>.yaml`` (sections ``pub_captions``, ``pub_headers``, ``pub_rows``,
``pub_readings``, ``pub_notes``).

Examples
--------
>>> import pandas as pd
>>> rates = pd.DataFrame({"type": ["probation", "mentor"], "n": [250, 250],
...                       "rate": [0.412, 0.5], "ci_low": [0.35, 0.44], "ci_high": [0.47, 0.56]})
>>> t = publication_tables({"ch2_contact_rates": rates}, lang="nl")[0]
>>> t.number, t.header[:2], t.rows[1][:2]
('2.1', ('Professional', 'Totaal'), ('Reclassering', '41,2 [35,0; 47,0]'))
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..labels import text
from ..schema import Codebook, Lang, load_codebook
from ..statistics.tests import adjust_pvalues
from .terms import term_label

__all__ = ["PubTable", "publication_tables", "fmt_number", "fmt_p", "fmt_ci"]


@dataclass(frozen=True)
class PubTable:
    """One publication table: numbered, captioned, every cell a string in the report language.

    Attributes
    ----------
    name : str
        File name (``publication/<name>.csv``), unique in the report.
    chapter : str
        The report chapter (``ch2`` ... ``family``).
    number : str
        Table number shown in the caption ("4.2", "F.3").
    caption : str
    columns : tuple of str
        Canonical column keys (the HTML's ``data-col``).
    header : tuple of str
        Column headers in the report language.
    rows : tuple of tuple of str
    reading : str
        The finding, stated from the cells of this table.
    notes : tuple of str
        Footnotes (which test, what the reference categories are).
    wide : bool
        Many columns: printed in landscape.
    """

    name: str
    chapter: str
    number: str
    caption: str
    columns: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    reading: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    wide: bool = False

    def to_frame(self) -> pd.DataFrame:
        """The table as a frame of strings with the headers as column names."""
        return pd.DataFrame(list(self.rows), columns=list(self.header))

    def to_csv(self) -> str:
        """CSV text (headers in the report language; ``\\n`` line ends)."""
        return self.to_frame().to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------------------------
# numbers in the language's style
# --------------------------------------------------------------------------------------------
def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> float | None:
    """A cell as a float; None when missing or suppressed (a text such as ``<10`` or ``–``)."""
    if isinstance(v, str) or _is_missing(v) or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def fmt_number(v: Any, digits: int, lang: Lang = "en") -> str:
    """``v`` with ``digits`` decimals and the language's decimal sign; texts pass through.

    >>> fmt_number(0.4567, 2, "nl"), fmt_number("<10", 2), fmt_number(float("nan"), 1)
    ('0,46', '<10', '–')
    """
    if isinstance(v, str):
        return v
    f = _num(v)
    if f is None:
        return "–"
    if math.isinf(f):
        return "∞" if f > 0 else "-∞"
    s = f"{f:.{digits}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s.replace(".", ",") if lang == "nl" else s


def fmt_p(v: Any, lang: Lang = "en") -> str:
    """A p-value: three decimals, ``<0.001`` below 0.001.

    >>> fmt_p(0.0004), fmt_p(0.0312, "nl")
    ('<0.001', '0,031')
    """
    f = _num(v)
    if f is None:
        return v if isinstance(v, str) else "–"
    return ("<" + fmt_number(0.001, 3, lang)) if f < 0.001 else fmt_number(f, 3, lang)


def fmt_ci(
    est: Any, low: Any, high: Any, digits: int, lang: Lang = "en", scale: float = 1.0
) -> str:
    """``est [low, high]`` (Dutch ``est [low; high]``); ``–`` when the estimate is suppressed.

    >>> fmt_ci(1.5, 1.21, 1.84, 2), fmt_ci(0.452, 0.42, 0.48, 1, "nl", scale=100)
    ('1.50 [1.21, 1.84]', '45,2 [42,0; 48,0]')
    """
    e = _num(est)
    if e is None:
        return est if isinstance(est, str) and est else "–"
    sep = "; " if lang == "nl" else ", "
    out = fmt_number(e * scale, digits, lang)
    lo, hi = _num(low), _num(high)
    if lo is not None and hi is not None:
        out += (
            f" [{fmt_number(lo * scale, digits, lang)}{sep}{fmt_number(hi * scale, digits, lang)}]"
        )
    return out


def _pct(v: Any, lang: Lang) -> str:
    f = _num(v)
    return "–" if f is None else fmt_number(100 * f, 1, lang)


# --------------------------------------------------------------------------------------------
# words
# --------------------------------------------------------------------------------------------
def _w(section: str, key: str, lang: Lang, **fields: Any) -> str:
    return text(section, key, lang, **fields)


def _h(key: str, lang: Lang, **fields: Any) -> str:
    return _w("pub_headers", key, lang, **fields)


def _concept(cb: Codebook, group: str, key: Any, lang: Lang) -> str:
    try:
        return cb.concept_label(group, str(key), lang)
    except KeyError:
        return str(key)


def _label(cb: Codebook, name: str, lang: Lang) -> str:
    """A variable or outcome name in words (codebook; ``contact_<type>`` as the type)."""
    return term_label(name, lang, cb)


def _in_sentence(cb: Codebook, group: str, key: Any, lang: Lang) -> str:
    """A concept label inside a sentence (English professional types lower-cased)."""
    label = _concept(cb, group, key, lang)
    if group == "professional_types" and lang == "en":
        return label[:1].lower() + label[1:]
    return label


def _in_order(values: Sequence[Any], order: Sequence[Any]) -> list[Any]:
    """Distinct ``values`` in the codebook's ``order``, unknown ones after, as they come."""
    seen = list(dict.fromkeys(values))
    known = [o for o in order if o in seen]
    return known + [v for v in seen if v not in known]


def _first(df: pd.DataFrame, **where: Any) -> pd.Series | None:
    m = pd.Series(True, index=df.index)
    for k, v in where.items():
        m &= df[k].astype(str) == str(v)
    hit = df[m]
    return None if hit.empty else hit.iloc[0]


def _shown_count(values: Sequence[Any]) -> str:
    """The largest count of a group, or its suppression marker when any count is hidden."""
    marks = [v for v in values if isinstance(v, str) and v]
    if marks:
        return marks[0]
    nums = [_num(v) for v in values]
    nums = [n for n in nums if n is not None]
    return str(int(max(nums))) if nums else "–"


def _sig(p: Any) -> bool:
    f = _num(p)
    return f is not None and f < 0.05


# --------------------------------------------------------------------------------------------
# chapter 2 (and family rates): % [95% CI] by group
# --------------------------------------------------------------------------------------------
_BY = {  # grouping column -> codebook concept of its codes
    "regime": "regimes",
    "detention_length_band": "detention_length_bands",
    "phase": "phases",
}


def _group_order(cb: Codebook, by: str) -> list[str]:
    entry = cb.concepts.get(_BY[by], {})
    if isinstance(entry, list):
        return [str(e.get("code", e.get("id"))) for e in entry]
    return [str(k) for k in entry]


def _rates_table(
    overall: pd.DataFrame | None,
    grouped: pd.DataFrame | None,
    by: str | None,
    row_col: str,
    row_label: Callable[[Any], str],
    row_order: Sequence[Any],
    lang: Lang,
    cb: Codebook,
) -> tuple[list[str], list[str], list[tuple[str, ...]], dict[str, dict[Any, float | None]]]:
    """Columns, headers, rows and the numbers per group (for the reading)."""
    base = grouped if grouped is not None else overall
    assert base is not None
    rows_keys = _in_order(list(base[row_col]), row_order)
    groups = _in_order([str(g) for g in grouped[by]], _group_order(cb, by)) if by else []
    columns = [row_col] + (["overall"] if overall is not None else []) + groups
    header = [_h(row_col, lang)] + ([_h("overall", lang)] if overall is not None else [])
    header += [_concept(cb, _BY[by], g, lang) for g in groups] if by else []
    values: dict[str, dict[Any, float | None]] = {}
    rows = []
    for key in rows_keys:
        cells = [row_label(key)]
        if overall is not None:
            r = _first(overall, **{row_col: key})
            cells.append(
                "" if r is None else fmt_ci(r["rate"], r["ci_low"], r["ci_high"], 1, lang, 100)
            )
            values.setdefault("overall", {})[key] = None if r is None else _num(r["rate"])
        for g in groups:
            r = _first(grouped, **{row_col: key, by: g})
            cells.append(
                "" if r is None else fmt_ci(r["rate"], r["ci_low"], r["ci_high"], 1, lang, 100)
            )
            values.setdefault(g, {})[key] = None if r is None else _num(r["rate"])
        rows.append(tuple(cells))
    n_row = [_h("n_prisoners", lang)]
    for col in columns[1:]:
        src, sub = (overall, overall) if col == "overall" else (grouped, None)
        sub = src if col == "overall" else grouped[grouped[by].astype(str) == col]
        n_row.append(_shown_count(list(sub["n"])) if "n" in sub else "")
    rows.append(tuple(n_row))
    return columns, header, rows, values


def _read_spread(
    values: dict[str, dict[Any, float | None]],
    groups: Sequence[str],
    group_label: Callable[[str], str],
    row_label: Callable[[Any], str],
    lang: Lang,
) -> str:
    """The row with the largest difference between groups, and the overall extremes."""
    best = None
    for key in values.get(groups[0], {}) if groups else []:
        pts = [(values[g].get(key), g) for g in groups if values[g].get(key) is not None]
        if len(pts) < 2:
            continue
        lo, hi = min(pts), max(pts)
        if best is None or hi[0] - lo[0] > best[0]:
            best = (hi[0] - lo[0], key, lo, hi)
    if best is None:
        return _w("pub_readings", "no_group_visible", lang)
    _, key, lo, hi = best
    return _w(
        "pub_readings",
        "rates_spread",
        lang,
        what=row_label(key),
        lo=_pct(lo[0], lang),
        lo_group=group_label(lo[1]),
        hi=_pct(hi[0], lang),
        hi_group=group_label(hi[1]),
    )


def _ch2(T: Mapping[str, pd.DataFrame], lang: Lang, cb: Codebook) -> list[PubTable]:
    out = []
    overall = T.get("ch2_contact_rates")
    types = list(cb.professional_types)

    def type_label(t: Any) -> str:
        return _concept(cb, "professional_types", t, lang)

    if overall is not None:
        cols, head, rows, vals = _rates_table(
            overall, None, None, "type", type_label, types, lang, cb
        )
        ov = {k: v for k, v in vals.get("overall", {}).items() if v is not None}
        if ov:
            hi, lo = max(ov, key=ov.get), min(ov, key=ov.get)  # type: ignore[arg-type]
            reading = _w(
                "pub_readings",
                "rates_overall",
                lang,
                hi=_in_sentence(cb, "professional_types", hi, lang),
                hi_rate=_pct(ov[hi], lang),
                lo=_in_sentence(cb, "professional_types", lo, lang),
                lo_rate=_pct(ov[lo], lang),
            )
        else:
            reading = _w("pub_readings", "no_group_visible", lang)
        out.append(_table("pub_ch2_contact", "ch2", cols, head, rows, reading, lang, ("ci_rate",)))
    for key, by in (
        ("ch2_contact_rates_by_regime", "regime"),
        ("ch2_contact_rates_by_detention_length", "detention_length_band"),
        ("ch2_contact_rates_by_phase", "phase"),
    ):
        g = T.get(key)
        if g is None or by not in g:
            continue
        cols, head, rows, vals = _rates_table(overall, g, by, "type", type_label, types, lang, cb)
        groups = [c for c in cols[1:] if c != "overall"]
        reading = _read_spread(
            vals,
            groups,
            lambda x, by=by: _concept(cb, _BY[by], x, lang),
            lambda t: _in_sentence(cb, "professional_types", t, lang),
            lang,
        )
        out.append(
            _table(
                f"pub_ch2_contact_by_{by}",
                "ch2",
                cols,
                head,
                rows,
                reading,
                lang,
                ("ci_rate",),
                wide=len(cols) > 7,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# chapter 3 (and family bivariate): exposure by outcome
# --------------------------------------------------------------------------------------------
def _two_by_two(
    df: pd.DataFrame,
    exp_col: str,
    out_col: str,
    exp_label: Callable[[Any], str],
    out_label: Callable[[Any], str],
    exp_order: Sequence[Any],
    out_order: Sequence[Any],
    lang: Lang,
) -> tuple[list[str], list[str], list[tuple[str, ...]], list[dict[str, Any]]]:
    cols = [exp_col, out_col, "rate_exposed", "rate_unexposed", "odds_ratio", "p_adjusted"]
    head = [
        _h(exp_col, lang),
        _h(out_col, lang),
        _h("pct_with", lang),
        _h("pct_without", lang),
        _h("or_ci", lang),
        _h("p_adjusted", lang),
    ]
    rows, facts = [], []
    for e in _in_order(list(df[exp_col]), exp_order):
        for o in _in_order(list(df.loc[df[exp_col] == e, out_col]), out_order):
            r = _first(df, **{exp_col: e, out_col: o})
            if r is None:
                continue
            rows.append(
                (
                    exp_label(e),
                    out_label(o),
                    _pct(r["rate_exposed"], lang),
                    _pct(r["rate_unexposed"], lang),
                    fmt_ci(r["odds_ratio"], r["ci_low"], r["ci_high"], 2, lang),
                    fmt_p(r["p_adjusted"], lang),
                )
            )
            facts.append(
                {
                    "e": e,
                    "o": o,
                    "or": _num(r["odds_ratio"]),
                    "p": _num(r["p_adjusted"]),
                    "lo": r["ci_low"],
                    "hi": r["ci_high"],
                }
            )
    return cols, head, rows, facts


def _read_two_by_two(
    facts: list[dict[str, Any]],
    exp_label: Callable[[Any], str],
    out_label: Callable[[Any], str],
    lang: Lang,
) -> str:
    shown = [f for f in facts if f["or"] is not None and f["p"] is not None]
    sig = [f for f in shown if f["p"] < 0.05]
    more = sum(f["or"] > 1 for f in sig)
    text_ = _w(
        "pub_readings",
        "assoc_count",
        lang,
        k=len(sig),
        n=len(shown),
        more=more,
        less=len(sig) - more,
    )
    if sig:
        top = max(sig, key=lambda f: abs(math.log(f["or"])) if f["or"] > 0 else 0.0)
        text_ += " " + _w(
            "pub_readings",
            "assoc_top",
            lang,
            exp=exp_label(top["e"]),
            out=out_label(top["o"]),
            ci=fmt_ci(top["or"], top["lo"], top["hi"], 2, lang),
        )
    return text_


def _ch3(T: Mapping[str, pd.DataFrame], lang: Lang, cb: Codebook) -> list[PubTable]:
    df = T.get("ch3_needs_vs_contact")
    if df is None:
        return []
    needl = lambda d: _concept(cb, "domains", d, lang)  # noqa: E731
    typel = lambda t: _concept(cb, "professional_types", t, lang)  # noqa: E731
    cols, head, rows, facts = _two_by_two(
        df, "need", "type", needl, typel, list(cb.domains), list(cb.professional_types), lang
    )
    reading = _read_two_by_two(
        facts, needl, lambda t: _in_sentence(cb, "professional_types", t, lang), lang
    )
    return [
        _table(
            "pub_ch3_needs_vs_contact",
            "ch3",
            cols,
            head,
            rows,
            reading,
            lang,
            ("pct_contact", "holm"),
        )
    ]


# --------------------------------------------------------------------------------------------
# chapter 4 (and family multilevel): null | individual | institutional
# --------------------------------------------------------------------------------------------
_MODELS = ("null", "individual", "institutional")


def _ladder_tables(
    comp: pd.DataFrame, est: pd.DataFrame, chapter: str, prefix: str, lang: Lang, cb: Codebook
) -> list[PubTable]:
    out = []
    for outcome in list(dict.fromkeys(comp["outcome"])):
        c = comp[comp["outcome"] == outcome]
        e = est[est["outcome"] == outcome]
        models = [m for m in _MODELS if (c["model"] == m).any()]
        terms = list(dict.fromkeys(e["term"]))
        cols = ["term"] + [f"{m}_{k}" for m in models for k in ("or", "p")]
        head = [_h("term", lang)] + [
            _h(k, lang, model=_h(f"model_{m}", lang))
            for m in models
            for k in ("or_ci_model", "p_model")
        ]
        rows = []
        for t in terms:
            cells = [term_label(t, lang, cb, institution_means=True)]
            for m in models:
                r = _first(e, model=m, term=t)
                if r is None:
                    cells += ["", ""]
                else:
                    cells += [
                        fmt_ci(r["odds_ratio"], r["or_low"], r["or_high"], 2, lang),
                        fmt_p(r["p_value"], lang),
                    ]
            rows.append(tuple(cells))
        foot = (
            ("variance", "variance", 3),
            ("icc", "icc", 3),
            ("mor", "median_odds_ratio", 2),
            ("aic", "aic", 1),
            ("lrt_p", "lrt_p_value", None),
            ("n_prisoners", "n_obs", 0),
            ("n_institutions", "n_groups", 0),
        )
        for key, col, digits in foot:
            cells = [_w("pub_rows", key, lang)]
            for m in models:
                r = _first(c, model=m)
                v = None if r is None or col not in r else r[col]
                if v is None or (_num(v) is None and not isinstance(v, str)):
                    shown = ""
                elif digits is None:
                    shown = fmt_p(v, lang)
                elif digits == 0:
                    shown = v if isinstance(v, str) else str(int(float(v)))
                else:
                    shown = fmt_number(v, digits, lang)
                cells += [shown, ""]
            rows.append(tuple(cells))
        reading = _read_ladder(c, e, outcome, lang, cb)
        inst = _first(c, model="institutional")
        test = str(inst["lrt_test"]) if inst is not None and "lrt_test" in inst else ""
        nsim = re.search(r"\((\d+)\)", test)
        notes = (
            _w("pub_notes", "ladder_bootstrap", lang, n=nsim.group(1))
            if "bootstrap" in test and nsim
            else _w("pub_notes", "ladder_chi2", lang),
        )
        out.append(
            _table(
                f"{prefix}_{outcome}",
                chapter,
                cols,
                head,
                rows,
                reading,
                lang,
                (),
                wide=True,
                extra_notes=notes,
                caption_fields={"outcome": _label(cb, outcome, lang)},
                caption_key=prefix,
            )
        )
    return out


def _read_ladder(c: pd.DataFrame, e: pd.DataFrame, outcome: str, lang: Lang, cb: Codebook) -> str:
    null, inst = _first(c, model="null"), _first(c, model="institutional")
    what = _label(cb, outcome, lang)
    parts = []
    if null is not None and _num(null["icc"]) is not None:
        parts.append(
            _w(
                "pub_readings",
                "ladder_icc",
                lang,
                outcome=what,
                icc=_pct(null["icc"], lang),
                mor=fmt_number(null["median_odds_ratio"], 2, lang),
            )
        )
    if inst is not None and _num(inst.get("lrt_p_value")) is not None:
        p = _num(inst["lrt_p_value"])
        key = "ladder_block_sig" if p is not None and p < 0.05 else "ladder_block_ns"
        text_ = _w("pub_readings", key, lang, p=fmt_p(p, lang))
        if p is not None and p < 0.05:
            ind_terms = set(e.loc[e["model"] == "individual", "term"])
            inst_terms = e[(e["model"] == "institutional") & ~e["term"].isin(ind_terms)]
            # Holm over the block's terms: a term is named only under its significant block,
            # and then adjusted for the other terms of the block (see reporting.sections).
            pv = np.array(
                [_num(v) if _num(v) is not None else np.nan for v in inst_terms["p_value"]]
            )
            holm = adjust_pvalues(pv, "holm") if len(pv) else pv
            sig = [r for (_, r), q in zip(inst_terms.iterrows(), holm, strict=True) if q < 0.05]
            penalised = str(inst.get("penalized", "")).lower() == "true"
            if sig and penalised:
                text_ += " " + _w(
                    "pub_readings",
                    "ladder_terms_penalised",
                    lang,
                    terms="; ".join(
                        term_label(r["term"], lang, cb, institution_means=True) for r in sig
                    ),
                )
            elif sig:
                text_ += " " + _w(
                    "pub_readings",
                    "ladder_terms",
                    lang,
                    terms="; ".join(
                        f"{term_label(r['term'], lang, cb, institution_means=True)} "
                        f"(OR {fmt_ci(r['odds_ratio'], r['or_low'], r['or_high'], 2, lang)})"
                        for r in sig
                    ),
                )
        parts.append(text_)
    return " ".join(parts) or _w("pub_readings", "no_group_visible", lang)


def _ch4(T: Mapping[str, pd.DataFrame], lang: Lang, cb: Codebook) -> list[PubTable]:
    out = []
    for comp_key, est_key, chapter, prefix in (
        ("ch4_model_comparison", "ch4_estimates", "ch4", "pub_ch4_models"),
        ("family_ml_model_comparison", "family_ml_estimates", "family", "pub_family_ml"),
    ):
        if comp_key in T and est_key in T:
            out += _ladder_tables(T[comp_key], T[est_key], chapter, prefix, lang, cb)
    return out


# --------------------------------------------------------------------------------------------
# chapter 5 (and family preparedness): models side by side
# --------------------------------------------------------------------------------------------
_DOMAIN_SLOT = "{domain}"


def _generic(term: str, domain: str | None) -> str:
    """``instr_int_housing_c:need_housing`` -> ``instr_int_{domain}_c:need_{domain}``."""
    if not domain:
        return term
    return re.sub(rf"(?<=_){re.escape(domain)}(?=(_c)?(:|$))", _DOMAIN_SLOT, term)


def _generic_label(generic: str, domains: Sequence[str], lang: Lang, cb: Codebook) -> str:
    if _DOMAIN_SLOT not in generic:
        return term_label(generic, lang, cb)
    parts = []
    for part in generic.split(":"):
        if _DOMAIN_SLOT in part:
            lab = term_label(part.replace(_DOMAIN_SLOT, domains[0]), lang, cb)
            # the codebook's label ends the domain-specific part with ": <domain>"
            lab = re.sub(r": [^:,]+(?=, |$)", "", lab, count=1)
            parts.append(_w("pub_rows", "own_domain", lang, label=lab))
        else:
            parts.append(term_label(part, lang, cb))
    return " × ".join(parts)


def _side_by_side(
    df: pd.DataFrame,
    keys: list[tuple[Any, ...]],
    key_cols: Sequence[str],
    col_label: Callable[[tuple[Any, ...]], str],
    domain_of: Callable[[tuple[Any, ...]], str | None],
    lang: Lang,
    cb: Codebook,
) -> tuple[list[str], list[str], list[tuple[str, ...]], dict[str, dict[tuple, pd.Series]]]:
    by_term: dict[str, dict[tuple, pd.Series]] = {}
    for k in keys:
        m = pd.Series(True, index=df.index)
        for col, v in zip(key_cols, k, strict=True):
            m &= df[col].astype(str) == str(v)
        for _, r in df[m].iterrows():
            by_term.setdefault(_generic(str(r["term"]), domain_of(k)), {})[k] = r
    domains = [d for d in (domain_of(k) for k in keys) if d] or list(cb.domains)
    cols = ["term"] + [f"{'_'.join(map(str, k))}_{x}" for k in keys for x in ("b", "p")]
    head = [_h("term", lang)] + [
        _h(x, lang, model=col_label(k)) for k in keys for x in ("b_ci_model", "p_model")
    ]
    rows = []
    for g, per in by_term.items():
        cells = [_generic_label(g, domains, lang, cb)]
        for k in keys:
            r = per.get(k)
            cells += (
                ["", ""]
                if r is None
                else [
                    fmt_ci(r["estimate"], r["ci_low"], r["ci_high"], 2, lang),
                    fmt_p(r["p_value"], lang),
                ]
            )
        rows.append(tuple(cells))
    n_row = [_h("n_prisoners", lang)]
    for k in keys:
        rs = [r for per in by_term.values() for kk, r in per.items() if kk == k]
        n_row += [_shown_count([r["n"] for r in rs if "n" in r]) if rs else "", ""]
    rows.append(tuple(n_row))
    return cols, head, rows, by_term


def _read_side(
    by_term: dict[str, dict[tuple, pd.Series]],
    col_label: Callable[[tuple[Any, ...]], str],
    domains: Sequence[str],
    lang: Lang,
    cb: Codebook,
) -> str:
    parts = []
    for g, per in by_term.items():
        if g == "Intercept":
            continue
        sig = [
            (k, r) for k, r in per.items() if _sig(r["p_value"]) and _num(r["estimate"]) is not None
        ]
        if not sig:
            continue
        where = ", ".join(
            f"{col_label(k)} ({'+' if _num(r['estimate']) > 0 else '-'})"  # type: ignore[operator]
            for k, r in sig
        )
        parts.append(f"{_generic_label(g, domains, lang, cb)}: {where}")
    if not parts:
        return _w("pub_readings", "side_none", lang)
    return _w("pub_readings", "side_sig", lang, parts="; ".join(parts))


def _ch5(T: Mapping[str, pd.DataFrame], lang: Lang, cb: Codebook) -> list[PubTable]:
    out = []
    ols = T.get("ch5_ols")
    outcome_order = [f"prep_{d}" for d in cb.domains] + ["prep_overall"]
    if ols is not None and {"outcome", "term"} <= set(ols.columns):
        if "model" in ols:
            ols = ols[ols["model"] == list(dict.fromkeys(ols["model"]))[0]]
        keys = [(o,) for o in _in_order(list(ols["outcome"]), outcome_order)]

        def dom(k: tuple[Any, ...]) -> str | None:
            d = str(k[0]).removeprefix("prep_")
            return d if d in cb.domains else None

        def col_label(k: tuple[Any, ...]) -> str:
            d = dom(k)
            return _concept(cb, "domains", d, lang) if d else _h("overall", lang)

        cols, head, rows, by_term = _side_by_side(ols, keys, ("outcome",), col_label, dom, lang, cb)
        reading = _read_side(by_term, col_label, list(cb.domains), lang, cb)
        out.append(
            _table(
                "pub_ch5_domains",
                "ch5",
                cols,
                head,
                rows,
                reading,
                lang,
                ("ols_cluster", "centred"),
                wide=True,
            )
        )
    me = T.get("ch5_marginal_effects")
    if me is not None and {"x", "by", "group"} <= set(me.columns):
        out += _marginal(me, lang, cb)
    fam = T.get("family_prep_models")
    if fam is not None and {"group", "outcome", "term"} <= set(fam.columns):
        keys = list(dict.fromkeys(zip(fam["group"], fam["outcome"], strict=True)))

        def fam_label(k: tuple[Any, ...]) -> str:
            d = str(k[1]).removeprefix("prep_")
            what = _concept(cb, "domains", d, lang) if d in cb.domains else _h("overall", lang)
            return f"{what} ({_w('pub_rows', 'group_' + str(k[0]), lang)})"

        cols, head, rows, by_term = _side_by_side(
            fam, keys, ("group", "outcome"), fam_label, lambda k: None, lang, cb
        )
        reading = _read_side(by_term, fam_label, list(cb.domains), lang, cb)
        out.append(
            _table(
                "pub_family_prep",
                "family",
                cols,
                head,
                rows,
                reading,
                lang,
                ("ols_cluster",),
                wide=True,
            )
        )
    return out


def _marginal(me: pd.DataFrame, lang: Lang, cb: Codebook) -> list[PubTable]:
    me = me[me["by"].astype(str) != "none"]
    if me.empty:
        return []
    groups = [("0", "without_need"), ("1", "with_need"), ("difference", "difference")]
    cols = ["outcome", "x"] + [f"{g}_{x}" for g, _ in groups for x in ("b", "p")]
    head = [_h("domain", lang), _h("support", lang)] + [
        _h(x, lang, model=_h(key, lang)) for _, key in groups for x in ("b_ci_model", "p_model")
    ]
    rows, diff_sig = [], []

    def grp(v: Any) -> str:
        f = _num(v)
        return str(int(f)) if f is not None else str(v)

    order = [f"prep_{d}" for d in cb.domains] + ["prep_overall"]
    for o in _in_order(list(me["outcome"]), order):
        d = str(o).removeprefix("prep_")
        dlabel = _concept(cb, "domains", d, lang) if d in cb.domains else _h("overall", lang)
        for x in dict.fromkeys(me.loc[me["outcome"] == o, "x"]):
            sub = me[(me["outcome"] == o) & (me["x"] == x)]
            side = "internal" if "_int_" in str(x) else "external"
            cells = [dlabel, _w("pub_rows", f"instr_{side}", lang)]
            for g, _ in groups:
                hit = sub[[grp(v) == g for v in sub["group"]]]
                if hit.empty:
                    cells += ["", ""]
                    continue
                r = hit.iloc[0]
                cells += [
                    fmt_ci(r["estimate"], r["ci_low"], r["ci_high"], 2, lang),
                    fmt_p(r["p_value"], lang),
                ]
                if g == "difference" and _sig(r["p_value"]):
                    diff_sig.append(f"{dlabel} ({_w('pub_rows', f'instr_{side}', lang).lower()})")
            rows.append(tuple(cells))
    reading = (
        _w("pub_readings", "marginal_sig", lang, where=", ".join(diff_sig))
        if diff_sig
        else _w("pub_readings", "marginal_none", lang)
    )
    return [
        _table(
            "pub_ch5_marginal_effects",
            "ch5",
            cols,
            head,
            rows,
            reading,
            lang,
            ("marginal",),
            wide=True,
        )
    ]


# --------------------------------------------------------------------------------------------
# family contact: rates and bivariate
# --------------------------------------------------------------------------------------------
def _family(T: Mapping[str, pd.DataFrame], lang: Lang, cb: Codebook) -> list[PubTable]:
    out = []
    overall = T.get("family_contact_rates")
    if overall is None or "variable" not in overall:
        return out
    order = list(overall["variable"])
    lab = lambda v: _label(cb, str(v), lang)  # noqa: E731
    for key, by in (
        ("family_contact_rates_by_regime", "regime"),
        ("family_contact_rates_by_phase", "phase"),
    ):
        g = T.get(key)
        if g is None or by not in g:
            continue
        cols, head, rows, vals = _rates_table(overall, g, by, "variable", lab, order, lang, cb)
        groups = [c for c in cols[1:] if c != "overall"]
        reading = _read_spread(
            vals, groups, lambda x, by=by: _concept(cb, _BY[by], x, lang), lab, lang
        )
        out.append(
            _table(
                f"pub_family_contact_by_{by}",
                "family",
                cols,
                head,
                rows,
                reading,
                lang,
                ("ci_rate_family",),
                wide=len(cols) > 7,
            )
        )
    for key in ("family_by_children", "family_by_needs"):
        df = T.get(key)
        if df is None or "predictor" not in df:
            continue
        cols, head, rows, facts = _two_by_two(
            df, "predictor", "outcome", lab, lab, list(dict.fromkeys(df["predictor"])), order, lang
        )
        reading = _read_two_by_two(facts, lab, lab, lang)
        out.append(
            _table(f"pub_{key}", "family", cols, head, rows, reading, lang, ("pct_family", "holm"))
        )
    return out


# --------------------------------------------------------------------------------------------
def _table(
    name: str,
    chapter: str,
    cols: Sequence[str],
    head: Sequence[str],
    rows: Sequence[tuple[str, ...]],
    reading: str,
    lang: Lang,
    note_keys: Sequence[str],
    *,
    wide: bool = False,
    extra_notes: Sequence[str] = (),
    caption_fields: Mapping[str, Any] | None = None,
    caption_key: str | None = None,
) -> PubTable:
    notes = tuple(_w("pub_notes", k, lang) for k in note_keys) + tuple(extra_notes)
    caption = _w("pub_captions", caption_key or name, lang, **(caption_fields or {}))
    return PubTable(
        name,
        chapter,
        "",
        caption,
        tuple(cols),
        tuple(head),
        tuple(tuple(r) for r in rows),
        reading,
        notes,
        wide,
    )


_CHAPTER_NUMBER = {"ch2": "2", "ch3": "3", "ch4": "4", "ch5": "5", "family": "F"}


def publication_tables(
    tables: Mapping[str, pd.DataFrame | Any], lang: Lang = "en", codebook: Codebook | None = None
) -> list[PubTable]:
    """Every publication table that the given tidy tables allow, numbered per chapter.

    Parameters
    ----------
    tables : mapping
        Report table name -> tidy table, already protected (a
        :class:`~reintegratie_stats.disclosure.Protected` or its frame). Tables that are
        absent (a step that failed or was not run) leave their publication tables out.
    lang : {"en", "nl"}
    codebook : Codebook, optional

    Returns
    -------
    list of PubTable
        In report order (chapters 2-5, then the family extension), numbered ``2.1``, ...
    """
    cb = codebook or load_codebook()
    T = {k: getattr(v, "frame", v) for k, v in tables.items()}
    found = _ch2(T, lang, cb) + _ch3(T, lang, cb) + _ch4(T, lang, cb) + _ch5(T, lang, cb)
    found += _family(T, lang, cb)
    family_order = ("pub_family_contact", "pub_family_by", "pub_family_ml", "pub_family_prep")
    found.sort(
        key=lambda t: next((i for i, p in enumerate(family_order) if t.name.startswith(p)), 0)
    )
    order = list(_CHAPTER_NUMBER)
    found.sort(key=lambda t: order.index(t.chapter))  # stable: the order within a chapter stays
    out, count = [], dict.fromkeys(order, 0)
    for t in found:
        count[t.chapter] += 1
        number = f"{_CHAPTER_NUMBER[t.chapter]}.{count[t.chapter]}"
        out.append(
            PubTable(
                t.name,
                t.chapter,
                number,
                t.caption,
                t.columns,
                t.header,
                t.rows,
                t.reading,
                t.notes,
                t.wide,
            )
        )
    return out
