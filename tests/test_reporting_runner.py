"""reporting.runner: named steps, each run, caught, timed and protected on its own.

Toy steps with known behaviour (one succeeds, one warns and raises, one returns the wrong
thing) show that a failing step costs only itself.
"""

from __future__ import annotations

import io
import warnings
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console

from reintegratie_stats.reporting.runner import ReportContext, Step, StepOutput, run_steps
from reintegratie_stats.reporting.tables import to_csv


def _ok(ctx):
    warnings.warn("ok-step note", UserWarning, stacklevel=1)
    return StepOutput(
        tables={"t_ok": pd.DataFrame({"n": [50, 4], "rate": [0.2, 0.5]})},
        readings={"t_ok": "fine"},
        rows_used=54,
        rows_excluded={"missing x": 3},
    )


def _boom(ctx):
    warnings.warn("before the failure", RuntimeWarning, stacklevel=1)
    raise RuntimeError("model did not converge at all\nsecond line of the message")


def _bad_return(ctx):
    return {"t": 1}


def _bad_table(ctx):
    return StepOutput(tables={"t_bad": [1, 2, 3]})  # type: ignore[dict-item]


def _later(ctx):
    return StepOutput(tables={"t_later": pd.DataFrame({"n": [30]})})


def _step(name, fn, chapter="data"):
    return Step(name, chapter, {"en": name.title(), "nl": name}, fn)


TOY = {
    "ok": _step("ok", _ok),
    "boom": _step("boom", _boom, "ch2"),
    "bad": _step("bad", _bad_return, "ch3"),
}


def _run(steps, **kw):
    return run_steps(steps, ReportContext(inputs=None, threshold=10), console=None, **kw)


def test_a_failing_step_is_isolated_and_the_others_run():
    steps = {**TOY, "bad_table": _step("bad_table", _bad_table), "later": _step("later", _later)}
    run = _run(steps)
    by = {r.name: r for r in run.results}
    assert [r.name for r in run.results] == list(steps)  # report order
    assert [r.status for r in run.results] == ["ok", "failed", "failed", "failed", "ok"]
    # the reason is the first line of the message, the traceback is kept whole
    assert by["boom"].error == "RuntimeError: model did not converge at all"
    assert "_boom" in by["boom"].traceback and "second line" in by["boom"].traceback
    assert by["bad"].error == "TypeError: step 'bad' returned dict, expected StepOutput"
    assert by["bad_table"].error == "TypeError: step 'bad_table': table 't_bad' is a list"
    # a failed step publishes nothing; the others keep all of theirs
    assert by["boom"].output.tables == {} and by["boom"].output.protected == {}
    assert list(by["ok"].output.protected) == ["t_ok"] and list(by["later"].output.tables) == [
        "t_later"
    ]
    # warnings belong to the step that raised them
    assert by["ok"].warnings == ["UserWarning: ok-step note"]
    assert by["boom"].warnings == ["RuntimeWarning: before the failure"]
    assert by["later"].warnings == []
    assert not run.ok and [r.name for r in run.failed] == ["boom", "bad", "bad_table"]
    frame = run.to_frame()
    assert list(frame.columns) == ["step", "chapter", "status", "wall_time_s", "error"]
    assert frame["error"].tolist()[0] == "" and (frame["wall_time_s"] >= 0).all()


def test_tables_are_protected_right_after_their_step():
    run = _run({"ok": TOY["ok"]})
    prot = run.results[0].output.protected["t_ok"]
    assert to_csv(prot) == "n,rate\n50,0.2\n<10,–\n"  # 4 < 10: the count and its rate withheld
    assert run.results[0].output.tables["t_ok"]["n"].tolist() == [50, 4]  # raw kept for the step


def test_only_runs_the_named_steps_and_refuses_unknown_names():
    run = _run(TOY, only=["bad", "ok"])
    assert [r.name for r in run.results] == ["ok", "bad"]  # report order, not the order asked
    with pytest.raises(ValueError, match=r"unknown step\(s\) \['nope'\]"):
        _run(TOY, only=["nope"])


def test_a_step_whose_inputs_are_missing_is_refused_without_running():
    called = []

    def fn(ctx):
        called.append(1)
        return StepOutput()

    ctx = ReportContext(
        inputs=SimpleNamespace(missing_inputs={"needs_x": ["prisoners.x is absent"]}),  # type: ignore[arg-type]
        threshold=10,
    )
    run = run_steps({"needs_x": _step("needs_x", fn)}, ctx, console=None)
    assert run.results[0].status == "failed" and called == []
    assert run.results[0].error == "MissingAnalysisInput: prisoners.x is absent"


def test_a_figure_that_cannot_be_drawn_costs_only_itself():
    def fn(ctx):
        return StepOutput(tables={"t_fig": pd.DataFrame({"n": [40]})}, figures={"f": object()})  # type: ignore[dict-item]

    (res,) = _run({"fig": _step("fig", fn)}).results
    assert res.status == "ok" and list(res.output.tables) == ["t_fig"]
    assert res.output.figures == {} and res.output.rendered == {}
    assert any(w.startswith("FigureWarning: figure f not drawn") for w in res.warnings)


def test_duplicate_table_names_fail_the_later_step():
    steps = {
        "a": Step("a", "data", {"en": "A", "nl": "A"}, _ok),
        "b": Step("b", "data", {"en": "B", "nl": "B"}, _ok),
    }
    run = run_steps(steps, ReportContext(inputs=None), console=None)
    assert [r.status for r in run.results] == ["ok", "failed"]
    assert "used by an earlier step" in run.results[1].error


def test_progress_is_shown_per_step_with_time_and_reason():
    buf = io.StringIO()
    run_steps(TOY, ReportContext(inputs=None), console=Console(file=buf, width=200))
    text = buf.getvalue()
    assert "✓ [1/3] ok (" in text and "1 tables, 0 figures" in text
    assert "✗ [2/3] boom" in text and "RuntimeError: model did not converge at all" in text
    assert "✗ [3/3] bad" in text


def _warns_and_doubles(x):
    warnings.warn("tiny cell", UserWarning, stacklevel=1)
    return 2 * x


def test_background_work_is_awaited_once_and_its_warnings_surface_in_the_step():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    with pool:
        ctx = ReportContext(inputs=None, executor=pool)
        ctx.start("k", _warns_and_doubles, 21)
        ctx.start("k", _warns_and_doubles, 0)  # started once
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert ctx.cached("k", lambda: -1) == 42
        assert [str(w.message) for w in caught] == ["tiny cell"]
        assert ctx.cached("k", lambda: -1) == 42
    # without an executor nothing starts: the value is computed on first use
    plain = ReportContext(inputs=None)
    plain.start("k", _warns_and_doubles, 21)
    assert plain.cached("k", lambda: 7) == 7
