"""The report spec (reporting/sections.py, reporting/spec.py) and the presentation layer's shape:
every published name written once, texts in YAML per language, options resolved once."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from reintegratie_stats.labels import LANGS, report_texts
from reintegratie_stats.reporting.runner import CHAPTERS, ReportContext
from reintegratie_stats.reporting.sections import CH5_PREPAREDNESS, SECTIONS, STEPS
from reintegratie_stats.reporting.spec import Section, figure, table
from reintegratie_stats.schema import load_codebook

SRC = Path(__file__).resolve().parents[1] / "src" / "reintegratie_stats"
PRESENTATION = [*(SRC / "reporting").glob("*.py"), *(SRC / "figures").glob("*.py")]
OUTPUTS = [(o.kind, o.name) for sec in SECTIONS for o in sec.outputs]


def test_every_published_name_is_written_once_in_the_code():
    """In the presentation layer and the CLI (analysis functions may name their own results
    alike, e.g. ``bivariate.chapter3_results()["family_by_children"]``)."""
    sources = {p: p.read_text(encoding="utf-8") for p in [*PRESENTATION, SRC / "cli.py"]}
    names = sorted({name for _, name in OUTPUTS})
    assert len(names) >= 40  # the whole report, not a part
    for name in names:
        hits = [
            (p.relative_to(SRC), m.start())
            for p, text in sources.items()
            for m in re.finditer(rf"[\"']{re.escape(name)}[\"']", text)
        ]
        # a section (step) may share its name with its main table: a different namespace
        expected = 2 if name in STEPS else 1
        assert len(hits) == expected, f"{name!r} is written {len(hits)} times: {hits}"
        assert {str(h[0]) for h in hits} == {"reporting/sections.py"}


def test_spec_covers_the_committed_reference_report():
    ref = Path(__file__).resolve().parents[1] / "reports" / "synthetic"
    if not (ref / "tables").is_dir():
        pytest.skip("no reference report")
    tables = {p.stem for p in (ref / "tables").glob("*.csv")}
    figures = {p.stem for p in (ref / "figures").glob("*.png")}
    # the warnings and conversions of the data are listed only when there are any (the twin
    # has none; tests/test_reporting_data_quality.py checks them on files that have them)
    only_with_issues = {"data_warnings", "data_conversions"}
    assert tables == {n for k, n in OUTPUTS if k == "table"} - only_with_issues
    # a table with a figure of its own publishes both under one name
    drawn = {o.name for sec in SECTIONS for o in sec.outputs if o.figure is not None}
    assert figures == {n for k, n in OUTPUTS if k == "figure"} | drawn


def test_no_private_name_is_imported_across_modules_in_the_presentation_layer():
    bad = []
    for path in PRESENTATION:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                bad += [
                    f"{path.name}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.endswith("__")
                ]
                if node.module and any(part.startswith("_") for part in node.module.split(".")):
                    bad.append(f"{path.name}: from {node.module}")
    assert bad == []


def test_figures_choose_no_backend_and_need_no_pyplot():
    for path in (SRC / "figures").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "matplotlib.use(" not in text and "import matplotlib.pyplot" not in text, path.name
    code = (
        "import sys; import reintegratie_stats.figures.descriptives, "
        "reintegratie_stats.figures.bivariate, reintegratie_stats.figures.multilevel, "
        "reintegratie_stats.figures.multivariate; import matplotlib; "
        "print('matplotlib.pyplot' in sys.modules, matplotlib.get_backend() != '')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[0] == "False"


def test_figures_do_not_import_reporting():
    for path in (SRC / "figures").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mods = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in mods if "reporting" in m], path.name


def _fields(template: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", template))


def test_texts_have_the_same_keys_and_fields_in_every_language():
    en = report_texts("en")
    for lang in LANGS:
        other = report_texts(lang)
        assert other.keys() == en.keys(), lang
        for section, texts in en.items():
            if not isinstance(texts, dict):
                continue
            assert texts.keys() == other[section].keys(), f"{lang}: {section}"
            for key, value in texts.items():
                assert _fields(str(value)) == _fields(str(other[section][key])), (
                    f"{lang}: {section}.{key}"
                )


def test_every_output_step_and_chapter_has_its_texts():
    for lang in LANGS:
        texts = report_texts(lang)
        for sec in SECTIONS:
            assert sec.name in texts["steps"], (lang, sec.name)
            assert sec.chapter in CHAPTERS
            for o in sec.outputs:
                assert o.caption_key in texts["captions"], (lang, o.name)
        assert set(CHAPTERS) == set(texts["chapters"])
    # nothing in the texts that the spec no longer publishes
    assert set(report_texts("en")["captions"]) == {
        o.caption_key for s in SECTIONS for o in s.outputs
    }
    assert set(report_texts("en")["steps"]) == set(STEPS)


def test_no_en_nl_pairs_left_in_the_presentation_code():
    for path in PRESENTATION:
        text = path.read_text(encoding="utf-8")
        assert '"nl":' not in text and "_say(" not in text, path.name


def test_threshold_and_seed_have_one_home():
    runner = (SRC / "reporting" / "runner.py").read_text(encoding="utf-8")
    assert not re.search(r"\b10\b", runner)
    concepts = yaml.safe_load((load_codebook().path / "concepts.yaml").read_text(encoding="utf-8"))
    assert ReportContext(inputs=None).threshold == concepts["disclosure_threshold"]
    homes = [p.name for p in PRESENTATION if re.search(r"\b2019\b", p.read_text(encoding="utf-8"))]
    assert homes == ["inputs.py"]


def test_a_chapter5_result_outside_the_spec_is_named_not_dropped():
    ctx = ReportContext(inputs=None)
    notes = CH5_PREPAREDNESS.notes({"ols": pd.DataFrame(), "mystery": pd.DataFrame()}, ctx)
    assert notes == ["chapter5 result 'mystery' is not in the report spec"]
    assert CH5_PREPAREDNESS.notes({"ols": pd.DataFrame(), "family": pd.DataFrame()}, ctx) == []


def test_section_skips_outputs_that_do_not_apply_and_reads_generically():
    est = pd.DataFrame(
        {
            "term": ["Intercept", "x", "z"],
            "estimate": [1.0, 0.5, 0.1],
            "p_value": [0.001, 0.01, 0.5],
            "n": [40, 40, 40],
        }
    )
    sec = Section(
        "toy",
        "data",
        lambda ctx: {"est": est},
        (
            table("toy_est", lambda r, ctx: r["est"]),
            table("toy_absent", lambda r, ctx: r.get("absent")),
            figure("toy_fig", lambda r, ctx: None),
        ),
    )
    out = sec.run(ReportContext(inputs=None, threshold=10))
    assert list(out.tables) == ["toy_est"] and out.figures == {}
    assert out.readings["toy_est"] == "1 of 2 estimates differ significantly from zero (p < 0.05)."
    assert out.captions["toy_est"] == "toy_est" and out.rows_used == 40
    nl = sec.run(ReportContext(inputs=None, threshold=50, lang="nl"))
    assert nl.readings["toy_est"] == "0 van 0 schattingen wijken significant af van nul (p < 0,05)."


def test_chapter5_is_started_in_the_background_by_both_sections_that_use_it():
    from reintegratie_stats.reporting.sections import FAMILY_PREPAREDNESS

    started = {}
    ctx = ReportContext(inputs=SimpleNamespace(prisoners=pd.DataFrame()))
    ctx.start = lambda key, fn, *a, **kw: started.setdefault(key, kw)  # type: ignore[method-assign]
    for sec in (CH5_PREPAREDNESS, FAMILY_PREPAREDNESS):
        assert sec.prefetch is not None
        sec.prefetch(ctx)
    # the same chapter-5 run, once, with the chapter-5 figures drawn in the worker
    assert list(started) == ["chapter5"]
    assert started["chapter5"]["figures_of"] is CH5_PREPAREDNESS
    assert STEPS["ch5_preparedness"].prefetch is CH5_PREPAREDNESS.prefetch


def _demo_result(n):
    return {"t": pd.DataFrame({"x": np.arange(n, dtype=float), "n": 20})}


def _demo_figure(t, ctx):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    fig.subplots().plot(t["x"], t["x"] ** 2, label=ctx.lang)
    return fig


def _broken_figure(t, ctx):
    raise ValueError("no axis for an empty table")


def _background_section(name, n, table_figure, *more):
    """A section whose result (``_demo_result(n)``) is computed and drawn in the worker."""
    key = f"{name}_result"

    def start(ctx):
        ctx.start(key, _demo_result, n, figures_of=sec)

    sec = Section(
        name,
        "data",
        lambda ctx: ctx.cached(key, lambda: _demo_result(n)),
        (table(f"{name}_table", lambda r, ctx: r["t"], figure=table_figure), *more),
        prefetch=start,
    )
    return sec


#: module level, so that the forked worker has them (a section travels as a reference)
DEMO_BACKGROUND = _background_section(
    "demo_bg",
    3,
    _demo_figure,
    figure("demo_bg_figure", lambda r, ctx: _demo_figure(r["t"], ctx), lambda f, r, ctx: "read"),
)
DEMO_BROKEN = _background_section("demo_broken", 2, _broken_figure)


def test_a_figure_that_fails_in_the_worker_fails_alone_and_says_why():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from reintegratie_stats.reporting.runner import Step, run_steps

    sec = DEMO_BROKEN
    steps = {sec.name: Step(sec.name, sec.chapter, {"en": "demo"}, sec.run, sec.prefetch)}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as ex:
        run = run_steps(steps, ReportContext(inputs=None, executor=ex), console=None)
    r = run.results[0]
    assert r.status == "ok" and list(r.output.tables) == ["demo_broken_table"]
    assert r.output.figures == {} and r.output.rendered == {}
    assert any("demo_broken_table not drawn: no axis" in w for w in r.warnings), r.warnings


def test_a_section_travels_to_the_worker_as_its_name():
    import pickle

    assert pickle.loads(pickle.dumps(DEMO_BACKGROUND)) is DEMO_BACKGROUND
    assert len(pickle.dumps(DEMO_BACKGROUND)) < 200  # no outputs, no lambdas
    twin = Section(DEMO_BACKGROUND.name, "data", lambda ctx: None, ())  # same name, other section
    assert pickle.loads(pickle.dumps(twin)) is twin
    assert pickle.loads(pickle.dumps(DEMO_BACKGROUND)) is DEMO_BACKGROUND


def test_figures_drawn_in_the_worker_are_the_figures_drawn_here():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from reintegratie_stats.reporting.runner import Step, run_steps
    from reintegratie_stats.reporting.writers import figure_bytes

    sec = DEMO_BACKGROUND
    steps = {sec.name: Step(sec.name, sec.chapter, {"en": "demo"}, sec.run, sec.prefetch)}
    here = run_steps(steps, ReportContext(inputs=None, lang="nl"), console=None)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as ex:
        ctx = ReportContext(inputs=None, lang="nl", executor=ex)
        there = run_steps(steps, ctx, console=None)
    a, b = here.results[0].output, there.results[0].output
    assert here.ok and there.ok
    assert sorted(b.rendered) == sorted(a.rendered) == ["demo_bg_figure", "demo_bg_table"]
    assert b.rendered == a.rendered  # byte for byte
    assert all(v is None for v in b.figures.values())  # drawn there, only bytes came back
    assert b.readings == a.readings and b.readings["demo_bg_figure"] == "read"
    pd.testing.assert_frame_equal(b.tables["demo_bg_table"], a.tables["demo_bg_table"])
    fig = _demo_figure(_demo_result(3)["t"], ReportContext(inputs=None, lang="nl"))
    assert a.rendered["demo_bg_table"] == figure_bytes(fig)


def test_ladder_reading_names_significant_blocks_only_and_reports_every_block():
    """Issue 12: an outcome is named only under a significant block test; every outcome's
    block p and combined odds ratio (exp of the sum of its institution-term estimates) is
    reported, and a penalised (separated) fit gets no effect size."""
    from types import SimpleNamespace

    from reintegratie_stats.reporting.sections import _ladder

    terms = ["rating_reception", "rating_facilities"]
    outcomes = ["contact_probation", "contact_care", "contact_volunteer"]
    table_ = pd.DataFrame(
        {
            "outcome": [o for o in outcomes for _ in range(2)],
            "model": ["null", "institutional"] * 3,
            "icc": [0.1, None, 0.2, None, 0.05, None],
            "n_groups": 26,
            "penalized": [False, False, False, False, False, True],
            "lrt_p_value": [None, 0.03, None, 0.4, None, 0.2],
            "lrt_test": [None, "parametric bootstrap LRT (199)"] * 3,
        }
    )
    est = pd.DataFrame(
        {
            "outcome": [o for o in outcomes for _ in terms],
            "model": "institutional",
            "term": terms * 3,
            "estimate": [0.2, 0.1, -0.3, -0.2, 4.0, 3.0],
            "p_value": [0.03, 0.2, 0.4, 0.4, 0.2, 0.2],
        }
    )
    ms = SimpleNamespace(table=table_, estimates=est)
    _, en = _ladder(ms, terms, "institution_scores", ReportContext(inputs=None))
    assert "none of the outcomes" not in en
    named = en.split("related (p < 0.05) to: ")[1].split(";")[0]
    assert "probation" in named.lower() and "care" not in named.lower()
    assert f"p = 0.03, combined odds ratio {np.exp(0.3):.2f}" in en
    assert f"p = 0.40, combined odds ratio {np.exp(-0.5):.2f}" in en
    assert "p = 0.20 (penalised fit" in en and f"{np.exp(7.0):.2f}" not in en
    assert "26 institutions" in en
    _, nl = _ladder(ms, terms, "institution_scores", ReportContext(inputs=None, lang="nl"))
    assert f"gecombineerde odds ratio {np.exp(-0.5):.2f}" in nl and "gepenaliseerde" in nl


def test_ladder_reading_signs_only_terms_significant_after_holm():
    """Under a significant block, single terms at p = 0.03 and 0.04 are each below 0.05 but
    not after Holm over the block (0.06 both): the outcome is named without signs."""
    from types import SimpleNamespace

    from reintegratie_stats.reporting.sections import _ladder

    terms = ["rating_reception", "rating_facilities"]
    table_ = pd.DataFrame(
        {"outcome": "contact_probation", "model": ["null", "institutional"], "icc": [0.1, None],
         "n_groups": 26, "penalized": False, "lrt_p_value": [None, 0.01],
         "lrt_test": [None, "parametric bootstrap LRT (199)"]}
    )  # fmt: skip

    def named(p_values):
        est = pd.DataFrame({"outcome": "contact_probation", "model": "institutional",
                            "term": terms, "estimate": [0.2, 0.1], "p_value": p_values})  # fmt: skip
        ms = SimpleNamespace(table=table_, estimates=est)
        _, en = _ladder(ms, terms, "institution_scores", ReportContext(inputs=None))
        return en.split("related (p < 0.05) to: ")[1].split(";")[0]

    assert "(+)" not in named([0.03, 0.04])
    assert "(+)" in named([0.01, 0.04])


def test_ladder_reading_without_a_significant_block_drops_the_sign_clause():
    from types import SimpleNamespace

    from reintegratie_stats.reporting.sections import _ladder

    table_ = pd.DataFrame(
        {"outcome": "contact_care", "model": ["null", "institutional"], "icc": [0.1, None],
         "n_groups": 26, "penalized": False, "lrt_p_value": [None, 0.4],
         "lrt_test": [None, "parametric bootstrap LRT (199)"]}
    )  # fmt: skip
    est = pd.DataFrame({"outcome": "contact_care", "model": "institutional",
                        "term": ["rating_reception"], "estimate": [0.1], "p_value": [0.4]})  # fmt: skip
    ms = SimpleNamespace(table=table_, estimates=est)
    for lang, words in (("en", "not significantly related"), ("nl", "met geen van de uitkomsten")):
        _, text = _ladder(
            ms, ["rating_reception"], "institution_scores", ReportContext(inputs=None, lang=lang)
        )
        assert words in text and "Holm" not in text
