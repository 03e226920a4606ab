"""The single self-contained HTML page of a report.

Figures are embedded as base64 PNG, the CSS is inline and nothing refers to anything outside
the file (no URL at all), so the page opens offline and can be mailed as one file. Every table
is rendered by :func:`~.tables.to_html` from the same protected table as its CSV file (labels
in the report language); the page's words come from ``report_texts_<lang>.yaml``.

A tiny inline script records, on load, each image's natural size (``data-natural-width``) and
every resource the page requested (``#rs-resources``): the browser test reads them back.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..disclosure import Protected, mask_count, protect
from ..labels import column_label, label_text, text, value_label
from .runner import CHAPTERS
from .tables import format_value, to_html

if TYPE_CHECKING:
    from ..publication.tables import PubTable
    from .inputs import Inputs
    from .runner import ReportContext, ReportRun

__all__ = ["CSP", "render_page", "render_publication", "render_table"]

#: The page may load nothing from outside itself: images only as data: URLs, inline style/script.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:1.5rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #2b5d8a;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin-bottom:.3rem}.meta{color:#555;font-size:.9rem}
table.rs{border-collapse:collapse;margin:.4rem 0 .2rem;font-size:.85rem}
table.rs th,table.rs td{border-bottom:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
table.rs th{background:#f1f4f8}table.rs td.num{text-align:right;font-variant-numeric:tabular-nums}
.tablewrap{overflow-x:auto;max-height:32rem;overflow-y:auto}
.reading{margin:.2rem 0 1.2rem;font-style:italic;color:#2b4a66}
.failed{background:#fdecea;border-left:4px solid #c62828;padding:.5rem .8rem}
.note{color:#555;font-size:.85rem}figure{margin:.5rem 0 1rem}figure img{max-width:100%;height:auto}
.caption{font-weight:600;margin-top:1rem}nav ul{columns:2;font-size:.9rem}
.publication{border-left:3px solid #2b5d8a;padding-left:.8rem;margin:1rem 0 2rem}
.publication .pubnote{color:#555;font-size:.8rem;margin:.1rem 0}
@page{size:A4 landscape;margin:10mm}
@media print{
body{max-width:none;padding:0;font-size:9pt;line-height:1.3}
nav{display:none}
.tablewrap{max-height:none;overflow:visible}
table.rs{width:100%;table-layout:fixed;font-size:6.5pt}
table.rs th,table.rs td{padding:1px 2px;overflow-wrap:anywhere;word-break:break-word}
table.pub{font-size:7.5pt}
thead{display:table-header-group}tr,figure,img{break-inside:avoid}
figure img{max-width:100%;max-height:17cm}
h2{break-before:page}h2,h3,.caption{break-after:avoid}
}
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.getElementsByTagName('img');
  for (var i = 0; i < imgs.length; i++) {
    imgs[i].setAttribute('data-natural-width', String(imgs[i].naturalWidth));
    imgs[i].setAttribute('data-natural-height', String(imgs[i].naturalHeight));
  }
  var names = [];
  if (window.performance && performance.getEntriesByType) {
    var entries = performance.getEntriesByType('resource');
    for (var j = 0; j < entries.length; j++) { names.push(entries[j].name); }
  }
  document.getElementById('rs-resources').textContent = JSON.stringify(names);
  document.body.setAttribute('data-loaded', '1');
});
"""


def _t(key: str, lang: str) -> str:
    return text("page", key, lang)


def render_table(
    df: pd.DataFrame | Protected,
    lang: str,
    threshold: int | None = None,
    count_cols: list[str] | None = None,
) -> str:
    """One table as the report shows it: :func:`~.tables.to_html` in a scrolling wrapper.

    ``df`` is protected first unless it already is. Each header cell carries ``data-col``
    with the canonical column name.
    """
    shown = to_html(protect(df, threshold, count_cols), lang, css_class="rs", note=False)  # type: ignore[arg-type]
    return f'<div class="tablewrap">{shown}</div>'


def _img(png: bytes, name: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{html.escape(name)}">'


def data_description(inputs: Any, ctx: Any) -> str:
    """What the data are, for the header: the twin and its seed, or the files read (no seed:
    real data have none; the manifest keeps the seed of the resampling)."""
    if getattr(inputs, "synthetic", False):
        return _t("source_twin", ctx.lang).format(seed=ctx.seed)
    names = [Path(f.path).name for f in getattr(inputs, "files", [])]
    return ", ".join(names) if names else str(inputs.source)


def render_publication(t: PubTable, lang: str) -> str:
    """One publication table: numbered caption, the table (canonical keys as ``data-col``),
    footnotes and its reading. Cells are already text (formatted from protected tables)."""
    e = html.escape
    label = text("pub_headers", "table", lang)
    head = "".join(
        f'<th data-col="{e(c)}">{e(h)}</th>' for c, h in zip(t.columns, t.header, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{e(v)}</td>' if j else f"<td>{e(v)}</td>" for j, v in enumerate(row)
        )
        + "</tr>"
        for row in t.rows
    )
    notes = "".join(f'<p class="pubnote">{e(n)}</p>' for n in t.notes)
    return (
        f'<p class="caption" id="pub-{e(t.name)}">{e(label)} {e(t.number)}. {e(t.caption)}</p>'
        f'<div class="tablewrap"><table class="rs pub"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{notes}"
        f'<p class="reading">{e(t.reading)}</p>'
    )


def render_page(
    run: ReportRun,
    ctx: ReportContext,
    inputs: Inputs,
    pngs: dict[str, bytes],
    publication: list[PubTable] | None = None,
) -> str:
    """The whole report page as one HTML string (``publication``: the publication tables,
    shown at the head of their chapter)."""
    from .. import __version__

    lang = ctx.lang
    e = html.escape
    thr = ctx.threshold
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f"<title>{e(_t('title', lang))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(_t('title', lang))}</h1>",
        f'<p class="meta">{e(_t("source", lang))}: {e(data_description(inputs, ctx))} · '
        f"reintegratie-stats {e(__version__)} · backend {e(ctx.backend)}</p>",
        f'<p class="note">{e(_t("threshold", lang).format(t=thr))}</p>',
    ]
    nav = []
    for key in CHAPTERS:
        if any(r.chapter == key for r in run.results):
            nav.append(f'<li><a href="#{key}">{e(text("chapters", key, lang))}</a></li>')
    parts.append(f"<nav><strong>{e(_t('contents', lang))}</strong><ul>{''.join(nav)}</ul></nav>")
    for key in CHAPTERS:
        results = [r for r in run.results if r.chapter == key]
        if not results:
            continue
        parts.append(f'<h2 id="{key}">{e(text("chapters", key, lang))}</h2>')
        pubs = [t for t in publication or [] if t.chapter == key]
        if pubs:
            parts.append(
                f'<section class="publication" id="publication-{key}">'
                f"<h3>{e(text('pub_headers', 'section', lang))}</h3>"
                f'<p class="note">{e(text("pub_headers", "section_intro", lang))}</p>'
            )
            parts += [render_publication(t, lang) for t in pubs]
            parts.append("</section>")
        for r in results:
            parts.append(f'<section id="step-{e(r.name)}"><h3>{e(r.title[lang])}</h3>')
            if r.status != "ok":
                parts.append(
                    f'<div class="failed">{e(_t("failed", lang))}: {e(r.error or "")}</div>'
                )
            out = r.output
            for name, prot in out.protected.items():
                cap = out.captions.get(name, name)
                parts.append(f'<p class="caption" id="table-{e(name)}">{e(cap)}</p>')
                parts.append(render_table(prot, lang))
                parts.append(f'<p class="reading">{e(out.readings.get(name, ""))}</p>')
            for name in out.figures:
                cap = out.captions.get(name, name)
                parts.append(f'<p class="caption" id="figure-{e(name)}">{e(cap)}</p>')
                parts.append(f"<figure>{_img(pngs[name], name)}")
                parts.append(
                    f'<figcaption class="reading">{e(out.readings.get(name, ""))}</figcaption></figure>'
                )
            for note in out.notes:
                parts.append(f'<p class="note">{e(note)}</p>')
            parts.append("</section>")
    parts.append(f'<h2 id="run">{e(_t("run", lang))}</h2>')
    parts.append(_run_table(run, thr, lang))
    parts.append(_provenance(inputs, ctx))
    parts.append('<div id="rs-resources" hidden></div>')
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _provenance(inputs: Inputs, ctx: ReportContext) -> str:
    """Where the numbers come from: input hashes (or the twin's seed) and versions."""
    import sys

    from .writers import dependency_versions

    e = html.escape
    items = []
    if inputs.synthetic:
        items.append(f"<li>{e(inputs.source)}</li>")
    for f in inputs.files:
        items.append(f"<li>{e(f.table)}: {e(f.path)} <code>sha256 {e(f.sha256)}</code></li>")
    if inputs.mapping is not None:
        items.append(
            f"<li>mapping: {e(inputs.mapping.path)} <code>sha256 {e(inputs.mapping.sha256)}</code></li>"
        )
    versions = ", ".join(f"{k} {v}" for k, v in dependency_versions().items() if v)
    items.append(f"<li>Python {e(sys.version.split()[0])}; {e(versions)}</li>")
    return f'<ul class="note" id="provenance">{"".join(items)}</ul>'


def _run_table(run: ReportRun, thr: int, lang: str = "en") -> str:
    """The steps of the run: title, status, time, rows used and excluded, error (in ``lang``)."""
    e = html.escape
    head = "".join(
        f'<th data-col="{c}">{e(column_label(c, lang))}</th>'  # type: ignore[arg-type]
        for c in ("step", "status", "wall_time_s", "rows_used", "rows_excluded", "reason")
    )
    rows = []
    for r in run.results:
        excl: dict[str, Any] = {
            k: mask_count(v, thr) for k, v in sorted(r.output.rows_excluded.items())
        }
        excl_txt = ", ".join(
            f"{label_text(k, lang, lambda s: str(value_label('reason', s, lang)))}: {v}"  # type: ignore[arg-type]
            for k, v in excl.items()
        )
        used = mask_count(r.output.rows_used, thr)
        status = value_label("status", r.status, lang)  # type: ignore[arg-type]
        rows.append(
            f"<tr><td>{e(r.title.get(lang, r.name))}</td><td>{e(str(status))}</td>"
            f'<td class="num">{r.wall_time_s:.2f}</td><td class="num">{e(format_value("n", used))}</td>'
            f"<td>{e(excl_txt)}</td><td>{e(r.error or '')}</td></tr>"
        )
    return f'<table class="rs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
