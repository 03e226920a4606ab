"""reporting.html_report: one self-contained page, every table rendered from its protected cells.

The page is read back with the standard library's HTML parser; expected cells are written by
hand from the formatter's rules.
"""

from __future__ import annotations

import base64
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from _table_cells import TableParser
from reintegratie_stats.disclosure import protect
from reintegratie_stats.labels import value_label
from reintegratie_stats.publication.tables import PubTable
from reintegratie_stats.reporting.html_report import (
    CSP,
    data_description,
    render_page,
    render_publication,
    render_table,
)
from reintegratie_stats.reporting.inputs import InputFile, Inputs
from reintegratie_stats.reporting.runner import ReportContext, Step, StepOutput, run_steps

TABLE = pd.DataFrame({"type": ["probation", "care"], "n": [250, 8], "rate": [0.44123, 0.25]})


class _Page(TableParser):
    """Tables (data-col headers, cell texts), images, and the attributes of a few tags."""

    strip = False

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.meta: list[dict[str, str | None]] = []
        self.html_lang: str | None = None
        self.ids: list[str] = []
        self.failed: list[str] = []
        self._in_failed = False

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "meta":
            self.meta.append(a)
        elif tag == "img":
            self.imgs.append(a.get("src", ""))
        elif tag == "div" and a.get("class") == "failed":
            self._in_failed = True

    def handle_data(self, data):
        super().handle_data(data)
        if self._in_failed:
            self.failed.append(data)

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag == "div":
            self._in_failed = False


def _parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


def test_render_table_shows_the_protected_cells_with_canonical_data_cols():
    for lang, rate in (("en", "0.441"), ("nl", "0,441")):
        out = render_table(TABLE, lang, threshold=10)
        assert out.startswith('<div class="tablewrap">') and out.endswith("</div>")
        ((head, rows),) = _parse(out).tables
        assert head == ["type", "n", "rate"]
        body = [r for r in rows if r]
        assert body[0][1:] == ["250", rate]
        assert body[1][1:] == ["<10", "–"]  # 8 < 10: the count and its rate are withheld
    # an already protected table is shown as it was protected
    prot = protect(TABLE, 300)
    ((_, rows),) = _parse(render_table(prot, "en")).tables
    assert [r[1] for r in rows if r] == ["<300", "<300"]


def test_render_publication_numbers_captions_and_escapes():
    t = PubTable(
        name="demo",
        chapter="ch2",
        number="2.1",
        caption="Contact <by> type",
        columns=("type", "n"),
        header=("Type", "n"),
        rows=(("Probation & co", "250"),),
        reading="Most had contact.",
        notes=("Note one.",),
    )
    out = render_publication(t, "en")
    assert '<p class="caption" id="pub-demo">Table 2.1. Contact &lt;by&gt; type</p>' in out
    ((head, rows),) = _parse(out).tables
    assert head == ["type", "n"]
    assert [r for r in rows if r] == [["Probation & co", "250"]]
    assert '<p class="pubnote">Note one.</p>' in out and "Most had contact." in out
    assert "Tabel 2.1." in render_publication(t, "nl")


def test_data_description_names_the_twin_or_the_files():
    twin = SimpleNamespace(synthetic=True, files=[], source="synthetic twin seed 7")
    assert data_description(twin, SimpleNamespace(lang="en", seed=7)) == "synthetic twin, seed 7"
    assert (
        data_description(twin, SimpleNamespace(lang="nl", seed=7))
        == "synthetische tweeling, seed 7"
    )
    files = SimpleNamespace(
        synthetic=False,
        files=[SimpleNamespace(path="a/prisoners.sav"), SimpleNamespace(path="institutions.csv")],
        source="data",
    )
    assert data_description(files, SimpleNamespace(lang="en", seed=7)) == (
        "prisoners.sav, institutions.csv"
    )


def _figure_step(ctx):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5))
    fig.add_subplot().plot([0, 1], [1, 0])
    return StepOutput(
        tables={"ch2_demo": TABLE},
        figures={"ch2_demo_fig": fig},
        readings={"ch2_demo": "a reading", "ch2_demo_fig": "a figure reading"},
        captions={"ch2_demo": "Demo table"},
        rows_used=258,
    )


def _failing_step(ctx):
    raise ValueError("no <data> here")


STEPS = {
    "demo": Step("demo", "ch2", {"en": "Demo", "nl": "Demo nl"}, _figure_step),
    "broken": Step("broken", "ch4", {"en": "Broken", "nl": "Kapot"}, _failing_step),
}


@pytest.fixture(scope="module")
def page_parts():
    ctx = ReportContext(inputs=None, lang="nl", seed=7, threshold=10)
    run = run_steps(STEPS, ctx, console=None)
    pngs = {k: png for r in run.results for k, (png, _) in r.output.rendered.items()}
    inputs = Inputs(
        prisoners=pd.DataFrame(),
        institutions=None,
        professionals=None,
        source="data",
        name="pilot",
        files=[InputFile("prisoners", "prisoners.sav", "ab" * 32, 258)],
    )
    return run, ctx, inputs, pngs


def test_the_page_is_one_self_contained_file(page_parts):
    run, ctx, inputs, pngs = page_parts
    page = render_page(run, ctx, inputs, pngs)
    p = _parse(page)
    assert p.html_lang == "nl"
    assert {"http-equiv": "Content-Security-Policy", "content": CSP} in p.meta
    assert "http:" not in page and "https:" not in page and "<link" not in page
    assert len(p.imgs) == 1 and p.imgs[0].startswith("data:image/png;base64,")
    assert base64.b64decode(p.imgs[0].split(",", 1)[1]) == pngs["ch2_demo_fig"]
    assert "sha256 " + "ab" * 32 in page and "prisoners.sav" in page  # provenance


def test_the_page_shows_each_step_its_tables_and_failures(page_parts):
    run, ctx, inputs, pngs = page_parts
    p = _parse(render_page(run, ctx, inputs, pngs))
    # sections for the chapters that have steps, in report order; the run table last
    chapters = [i for i in p.ids if i in ("data", "ch2", "ch3", "ch4", "ch5", "family")]
    assert chapters == ["ch2", "ch4"]
    assert {"step-demo", "step-broken", "table-ch2_demo", "figure-ch2_demo_fig"} <= set(p.ids)
    demo, run_table = p.tables[0], p.tables[-1]
    assert demo[0] == ["type", "n", "rate"]
    assert [r for r in demo[1] if r][1][1:] == ["<10", "–"]
    assert "".join(p.failed).strip() == "Deze stap is mislukt: ValueError: no <data> here"
    assert run_table[0] == ["step", "status", "wall_time_s", "rows_used", "rows_excluded", "reason"]
    runs = [r for r in run_table[1] if r]
    # the run table speaks the report's language: step titles and statuses in Dutch
    ok, failed = (str(value_label("status", s, "nl")) for s in ("ok", "failed"))
    assert ok != "ok" and failed != "failed"
    assert [(r[0], r[1], r[3]) for r in runs] == [("Demo nl", ok, "258"), ("Kapot", failed, "")]
    assert re.fullmatch(r"\d+\.\d\d", runs[0][2])
