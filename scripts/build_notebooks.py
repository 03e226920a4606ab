"""Write the notebooks in notebooks/ (nbformat v4, no outputs) from the cell lists below.

The notebooks are the committed artefact; this script is how they were made and how to change
them consistently (one parameters cell, API calls only, prose around the outputs). Where a
notebook states a finding of the thesis, it quotes it as the thesis's ("The thesis found: ...")
and the next cell prints what the data at hand show, in the report's own words
(``reporting.readings``: the reading the report prints under the same table):

    python scripts/build_notebooks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's package: its seed and threshold

from reintegratie_stats.disclosure import default_threshold  # noqa: E402
from reintegratie_stats.reporting.inputs import DEFAULT_SEED  # noqa: E402

PARAMETERS = f'''\
# Parameters (papermill: `papermill nb.ipynb out.ipynb -p data_dir /path/to/data -p mapping m.yaml`)
data_dir = None  # None: the synthetic twin; else a folder with prisoners/institutions/professionals files
mapping = None  # mapping YAML from the research team's names and codes to the codebook
seed = {DEFAULT_SEED}  # seed of the synthetic twin
backend = "native"  # GLMM backend: "native" (Python) or "lme4" (R, needs the lme4 extra)
lang = "en"  # language of labels: "en" or "nl"'''

LOAD = """\
from reintegratie_stats.reporting import load_inputs, readings, show_table

inputs = load_inputs(data_dir, mapping, seed)  # read + validate (or the synthetic twin)
prisoners = inputs.prisoners
print(inputs.source, "-", len(prisoners), "prisoners")"""

SAFE = (
    "Every table is shown through `show_table`, which applies the same disclosure control as "
    f"the report: counts below the threshold ({default_threshold()}) appear as "
    f"`<{default_threshold()}` and the statistics of such groups as `–`. Never display the raw "
    "frames of real data."
)


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, tags: list[str] | None = None):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def thesis_found(finding: str) -> nbformat.NotebookNode:
    """The thesis's finding, quoted as the thesis's; the next cell prints what these data show."""
    return md(
        f"**The thesis found** (Pasma 2023, DPVS 2019): {finding.strip()} "
        "**What the data at hand show**, in the words of the report:"
    )


def notebook(title: str, intro: str, requires: list[str], cells: list) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["reintegratie_stats"] = {"requires": requires}
    nb.cells = [
        md(f"# {title}\n\n{intro}"),
        code(PARAMETERS, ["parameters"]),
        code(LOAD),
        md(SAFE),
        *cells,
    ]
    return nb


NOTEBOOKS: dict[str, nbformat.NotebookNode] = {}

NOTEBOOKS["00_quickstart"] = notebook(
    "Quick start: data, codebook and the one-command report",
    """
This package reproduces the four analyses of Pasma (2023), *Re-entry support from prison-based
and community-based professionals*, and extends each with family contact. It runs on the
research team's own files (SPSS `.sav`, Stata, CSV or Parquet, with a mapping file that links
their names and codes to the codebook) or, without data, on the **synthetic twin**: data with
the same tables, variables, codes and published marginals, generated from known parameters.

Set `data_dir` (and `mapping`) in the parameters cell below to run on your own data.
""",
    ["descriptives", "reporting.readings"],
    [
        md("""
## The codebook

The codebook in `data_schema/` is the single source of truth: the professional types, the
re-entry domains, the regimes, and every variable with its labels in English and Dutch.
"""),
        code("""
from reintegratie_stats.schema import load_codebook

cb = load_codebook()
print("professional types:", cb.professional_types)
print("internal:", cb.internal_types, "external:", cb.external_types)
print("domains:", cb.domains)
print("regimes:", [cb.concept_label("regimes", r, lang) for r in cb.regimes])
"""),
        md("""
## Validation

`load_inputs` validated every table against the codebook (ranges, codes, routing, ids);
invalid data stop with a report of every problem. Here is the summary of each table.
"""),
        code("""
for table, report in inputs.validation.items():
    print(report.summary_line())
"""),
        md("""
## A first result

The share of prisoners in contact with each professional type in the last six months, with
95% Wilson intervals (chapter 2 of the thesis).
"""),
        code("""
from reintegratie_stats import descriptives

rates = descriptives.contact_rates(prisoners)
show_table(rates, lang=lang)
"""),
        md("""
Every table of the report comes with a one-line reading of what it shows.
`readings.reading(name, table)` makes the same sentence for a table computed here
(`readings.names()` lists the tables it can read):
"""),
        code('print(readings.reading("ch2_contact_rates", rates, lang=lang))'),
        md("""
## The whole report in one call

`build_report` (or `reintegratie-stats report` on the command line) runs every analysis and
writes `report.html`, `tables/*.csv`, `figures/` and `manifest.json`. Here only the data
step runs, into a temporary folder; drop `steps=` to run everything.
"""),
        code("""
import tempfile

from reintegratie_stats.reporting import build_report

out = tempfile.mkdtemp()
run = build_report(data_dir, mapping, out, seed=seed, backend=backend, lang=lang,
                   steps=["data_overview"], console=None)
run.to_frame()
"""),
        md("""
The notebooks `01`-`05` follow the thesis chapter by chapter: contact rates, needs versus
contact, institutional facilitation (multilevel), satisfaction and preparedness, and family
contact.
"""),
    ],
)

NOTEBOOKS["01_contact_rates"] = notebook(
    "Chapter 2: who is in contact with which professional?",
    """
In the thesis, about six in ten prisoners had contact with their case manager or mentor in the
last six months; under half with the probation service; about one in five with the
municipality, care professionals or volunteers; and one in five with none of the six. This
notebook computes those shares on the data at hand, with confidence intervals, by regime,
detention length and phase, the satisfaction of those in contact, how contacts co-occur, and
the gap to the policy norms; after each finding of the thesis it prints what these data show.
""",
    ["descriptives", "figures.descriptives", "reporting.readings"],
    [
        md("## Contact with each professional type"),
        code("""
from reintegratie_stats import descriptives
from reintegratie_stats.figures import descriptives as figures

rates = descriptives.contact_rates(prisoners)
show_table(rates, lang=lang)
"""),
        thesis_found("""
about six in ten prisoners had contact with their case manager or mentor, under half with the
probation service, and about one in five each with the municipality, care professionals and
volunteers.
"""),
        code('print(readings.reading("ch2_contact_rates", rates, lang=lang))'),
        md("## By regime"),
        code("""
by_regime = descriptives.contact_rates(prisoners, by="regime")
figures.contact_rates_figure(by_regime, lang)
"""),
        code("show_table(by_regime, lang=lang)"),
        thesis_found("""
prisoners in the extra care (EZV) and persistent-offender (ISD) regimes are relatively often in
contact with external professionals.
"""),
        code('print(readings.reading("ch2_contact_rates_by_regime", by_regime, lang=lang))'),
        md("## By detention length and phase"),
        code("""
by_length = descriptives.contact_rates(prisoners, by="detention_length_band")
show_table(by_length, lang=lang)
"""),
        code("""
by_phase = descriptives.contact_rates(prisoners, by="phase")
show_table(by_phase, lang=lang)
"""),
        thesis_found("""
contact is lowest for short stays and in the first six weeks of detention, for all six types;
in the last three months before release it is not higher than in other phases, except with the
municipality.
"""),
        code("""
print(readings.reading("ch2_contact_rates_by_detention_length", by_length, lang=lang))
print(readings.reading("ch2_contact_rates_by_phase", by_phase, lang=lang))
"""),
        md("## Satisfaction among those in contact"),
        code("""
satisfaction = descriptives.satisfaction(prisoners)
show_table(satisfaction, lang=lang)
"""),
        thesis_found("""
prisoners are satisfied with the internal professionals, relatively dissatisfied with the
probation service and the municipality, and satisfied with care professionals and volunteers.
"""),
        code('print(readings.reading("ch2_satisfaction", satisfaction, lang=lang))'),
        md("## Contacts go together"),
        code("""
cooccurrence = descriptives.cooccurrence(prisoners)
show_table(cooccurrence, lang=lang)
"""),
        thesis_found("contact with one type of professional goes with contact with the others."),
        code('print(readings.reading("ch2_cooccurrence", cooccurrence, lang=lang))'),
        md("""
## The gap to the policy norms

The survey asks about contact in the last six months, not about timing, so the share meeting
a norm is an upper bound.
"""),
        code("show_table(descriptives.policy_norm_gap(prisoners), lang=lang)"),
    ],
)

NOTEBOOKS["02_needs_vs_contact"] = notebook(
    "Chapter 3: do prisoners with prior needs get the matching support?",
    """
In the thesis, prisoners who had a problem before detention (work and income, housing,
finances, health, valid ID) were *less* often in contact with their case manager or mentor, but
*more* often with the matching external professional. This notebook tests each need against
each type of contact on the data at hand (chi-square or Fisher's exact test, odds ratios with
intervals, Holm-adjusted p-values) and, after each finding of the thesis, prints what these
data show.
""",
    ["bivariate", "figures.bivariate", "reporting.readings"],
    [
        md("## Each prior need against each professional type"),
        code("""
from reintegratie_stats import bivariate
from reintegratie_stats.figures import bivariate as figures

needs = bivariate.needs_vs_contact(prisoners)
figures.forest_plot(needs, lang)
"""),
        code("show_table(needs, lang=lang)"),
        thesis_found("""
a prior need goes with *less* contact with the case manager or mentor and *more* contact with
the matching external professional: care need with care professionals, unstable housing with
the municipality, financial problems with volunteers.
"""),
        code('print(readings.reading("ch3_needs_vs_contact", needs, lang=lang))'),
        md("## No contact with any of the six"),
        code("""
no_contact = bivariate.no_contact_by_need(prisoners)
show_table(no_contact, lang=lang)
"""),
        code("""
no_contact_n = bivariate.no_contact_by_n_needs(prisoners)
show_table(no_contact_n, lang=lang)
"""),
        thesis_found("""
prisoners with a health need, without a valid ID, or with complex (2+) needs most often have no
contact at all.
"""),
        code("""
print(readings.reading("ch3_no_contact_by_need", no_contact, lang=lang))
print(readings.reading("ch3_no_contact_by_n_needs", no_contact_n, lang=lang))
"""),
        md("## Contact by phase of detention"),
        code("""
by_phase = bivariate.contact_by_phase(prisoners)
show_table(by_phase, lang=lang)
"""),
        thesis_found("""
contact in the last three months before release is not higher than in the other phases, except
with the municipality.
"""),
        code('print(readings.reading("ch3_contact_by_phase", by_phase, lang=lang))'),
    ],
)

NOTEBOOKS["03_multilevel_facilitation"] = notebook(
    "Chapter 4: does the institution make contact easier?",
    """
External professionals rated each institution on a friendly reception, clear communication,
information exchange, work facilities and accessibility. In the thesis, these ratings,
aggregated to institution scores, were related to visits by the **probation service** only.
This notebook checks whether the ratings can be aggregated (ICC1, ICC2, r_wg), builds the
institution scores, and fits two-level logistic models (prisoners in institutions) per external
professional type: a null model (ICC), a model with individual controls, and one with the
institution scores, compared by likelihood ratio; after each finding of the thesis it prints
what the data at hand show.
""",
    ["multilevel:facilitation_models", "figures.multilevel", "reporting.readings"],
    [
        md("## Can the professionals' ratings be aggregated to institutions?"),
        code("""
from reintegratie_stats import multilevel
from reintegratie_stats.figures import multilevel as figures

professionals = inputs.table("professionals")
aggregation = multilevel.aggregation_stats(professionals)
show_table(aggregation, lang=lang)
"""),
        thesis_found("""
most institutions score high; a few score lower on information sharing and work facilities.
"""),
        code('print(readings.reading("ch4_aggregation", aggregation, lang=lang))'),
        md("""
## Institution scores

Scores rated by fewer professionals than the disclosure threshold are suppressed.
"""),
        code("show_table(multilevel.institution_scores(professionals), lang=lang)"),
        md("""
## Two-level models per external professional type

For each type: null model -> individual controls -> institution scores. The table gives the
intraclass correlation and median odds ratio of each model and the likelihood-ratio test
against the previous one (`backend="lme4"` fits the same models with R's lme4).
"""),
        code("""
models = multilevel.facilitation_models(prisoners, professionals, backend=backend, term_test="wald-t", nsim=199)
show_table(models.table, lang=lang)
"""),
        md("## Odds ratios of the institution scores"),
        code("""
institutional = models.estimates[models.estimates["model"] == "institutional"]
figures.odds_ratio_forest(institutional, group="outcome", lang=lang)
"""),
        code("show_table(institutional, lang=lang)"),
        thesis_found("""
the institution scores are related to visits by the probation service only, not to contact
with the municipality, care professionals or volunteers.
"""),
        code("print(readings.multilevel(models, lang))"),
    ],
)

NOTEBOOKS["04_satisfaction_preparedness"] = notebook(
    "Chapter 5: does satisfying support prepare prisoners for release?",
    """
The thesis studied soon-to-be-released prisoners: does satisfaction with the professionals go
with feeling better prepared for release? This notebook runs the chapter's models
(cluster-robust OLS, random-intercept, seemingly unrelated regressions over the domains,
ordinal logit) on the data at hand through one call, shows each table, and prints what these
data show beside the thesis's findings.
""",
    ["multivariate:chapter5", "reporting.readings"],
    [
        md("## The whole chapter in one call"),
        code("""
from reintegratie_stats import multivariate

chapter5 = multivariate.chapter5(prisoners, mixed_backend=backend)
list(chapter5)
"""),
        md("""
Each entry is a tidy frame (one row per estimate). They are shown below through the same
disclosure control as the report.
"""),
        code("""
for name, table in chapter5.items():
    print(name)
    display(show_table(table, lang=lang))
"""),
        thesis_found("1,442 soon-to-be-released prisoners in 26 institutions."),
        code('print(readings.reading("ch5_sample", chapter5["sample"], lang=lang))'),
        thesis_found("""
satisfaction with professionals goes with feeling better prepared for release, for general
satisfaction and for satisfaction with instrumental support; most strongly for instrumental
support from external professionals, and mainly for prisoners who had that need before
detention.
"""),
        code("""
print(readings.reading("ch5_ols", chapter5["ols"], lang=lang))
print(readings.reading("ch5_support_contrast", chapter5["support_contrast"], lang=lang))
"""),
    ],
)

NOTEBOOKS["05_family_contact"] = notebook(
    "Family contact: rates, children, institutional facilities and preparedness",
    """
About 25,000 to 28,000 Dutch children a year have a parent in detention, and prisons are asked
to work family-oriented. The family-contact extension repeats each of the four analyses for
family contact: rates by regime and phase; having children and prior needs against family
contact; two-level models of the institution's family facilities (family room, child-friendly
visiting, father wing, video calling, parent-child days, family officer); and family contact
against preparedness on the social-network domain and overall. The thesis did not study family
contact, so there is no finding of its to quote: after each analysis the notebook prints what
the data at hand show, in the report's words.
""",
    [
        "descriptives",
        "bivariate",
        "multilevel:family_models",
        "multivariate.family",
        "figures.descriptives",
        "figures.multilevel",
        "reporting.readings",
    ],
    [
        md("## Family contact by regime and phase"),
        code("""
from reintegratie_stats import bivariate, descriptives, multilevel
from reintegratie_stats.figures import descriptives as figures
from reintegratie_stats.figures import multilevel as ml_figures
from reintegratie_stats.multivariate import family

by_regime = descriptives.family_contact_rates(prisoners, by="regime")
figures.family_contact_figure(by_regime, lang)
"""),
        code('show_table(descriptives.family_contact_rates(prisoners, by="phase"), lang=lang)'),
        md("## Children, needs and family contact"),
        code("""
by_children = bivariate.family_by_children(prisoners)
show_table(by_children, lang=lang)
"""),
        code("""
by_needs = bivariate.family_by_needs(prisoners)
show_table(by_needs, lang=lang)
"""),
        code("""
print(readings.reading("family_by_children", by_children, lang=lang))
print(readings.reading("family_by_needs", by_needs, lang=lang))
"""),
        md("""
## Institutional family facilities (two-level models, parents only)
"""),
        code("""
fam = multilevel.family_models(prisoners, inputs.table("institutions"), backend=backend, term_test="wald-t", nsim=199)
show_table(fam.table, lang=lang)
"""),
        code("""
ml_figures.odds_ratio_forest(fam.estimates[fam.estimates["model"] == "institutional"],
                             group="outcome", lang=lang)
"""),
        code("print(readings.multilevel(fam, lang))"),
        md("## Family contact and preparedness for release"),
        code("""
preparedness = family.family_models(prisoners)
show_table(preparedness, lang=lang)
"""),
        code('print(readings.reading("family_prep_models", preparedness, lang=lang))'),
    ],
)


def main() -> None:
    folder = ROOT / "notebooks"
    folder.mkdir(exist_ok=True)
    for name, nb in NOTEBOOKS.items():
        for i, cell in enumerate(nb.cells):
            cell.id = f"{name[:2]}-{i:02d}"  # stable ids: regenerating gives the same file
        nbformat.validate(nb)
        nbformat.write(nb, folder / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
