"""The ``reintegratie-stats`` command.

Exit codes are part of the interface: 0 success (valid data), 1 invalid data or a failed step,
2 unusable input (missing file, unknown format or table, unreadable file). Bad data never gives
a Python traceback.

Every ``--help`` text, in each language, is in ``data_schema/cli_messages.yaml``
(``help.<lang>``); the docstrings below are for developers.
"""

from __future__ import annotations

import sys
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .io import FORMATS, UnusableInputError, load_mapping, read_table
from .labels import check_lang, cli_messages, cli_text, translate
from .reporting.inputs import DEFAULT_SEED
from .schema import TABLES

__all__ = ["app", "command", "main"]


def _help_texts(lang: str) -> dict[str, dict[str, str]]:
    """``help.<lang>`` of ``data_schema/cli_messages.yaml``: ``commands`` (descriptions) and
    ``options`` (help per ``<command>.<parameter>``, or per ``<parameter>`` when shared)."""
    check_lang(lang)
    return cli_messages()["help"][lang]


def _command_help(name: str) -> str:
    """The English description of command ``name`` (``root``: the command itself)."""
    return _help_texts("en")["commands"][name]


def _option_help(key: str) -> str:
    """The English help of option or argument ``key`` (``<command>.<parameter>`` or a shared
    ``<parameter>``)."""
    return _help_texts("en")["options"][key]


app = typer.Typer(
    name="reintegratie-stats",
    help=_command_help("root"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"reintegratie-stats {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=_option_help("root.version")
        ),
    ] = False,
) -> None:
    """Statistical models for Dutch prison-climate survey data (PCQ / DPVS)."""


class Lang(StrEnum):
    en = "en"
    nl = "nl"


Table = Enum("Table", {t: t for t in TABLES}, type=str)  # choices come from the codebook's tables


SepOption = Annotated[
    str | None,
    typer.Option(
        "--sep",
        help=_option_help("sep"),
    ),
]
DecimalOption = Annotated[
    str | None,
    typer.Option(
        "--decimal",
        help=_option_help("decimal"),
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help=_option_help("encoding"),
    ),
]


LangOption = Annotated[
    Lang,
    typer.Option(
        "--lang",
        envvar="REINTEGRATIE_LANG",
        help=_option_help("lang"),
    ),
]


def _fail_unusable(message: str, lang: str = "en") -> typer.Exit:
    """Exit 2 with one line in ``lang`` (texts and patterns: data_schema/cli_messages.yaml)."""
    typer.echo(cli_text("error", lang, message=translate(message, lang)), err=True)
    return typer.Exit(code=2)


@app.command(help=_command_help("validate"))
def validate(
    path: Annotated[Path, typer.Argument(help=_option_help("validate.path"))],
    table: Annotated[Table, typer.Option("--table", "-t", help=_option_help("validate.table"))],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            "-m",
            help=_option_help("validate.mapping"),
        ),
    ] = None,
    institutions: Annotated[
        Path | None,
        typer.Option(
            "--institutions",
            help=_option_help("validate.institutions"),
        ),
    ] = None,
    show_log: Annotated[
        bool,
        typer.Option(
            "--log/--no-log",
            help=_option_help("validate.show_log"),
        ),
    ] = True,
    sep: SepOption = None,
    decimal: DecimalOption = None,
    encoding: EncodingOption = None,
    lang: LangOption = Lang.en,
) -> None:
    """Check a data file against the codebook and report every problem.

    Exit 0 with a one-line summary when the data are valid, 1 with a report of every problem
    (column, rule, offending values, number of rows, first row numbers) when they are not, and
    2 with one line when the input cannot be used at all.
    """
    from .validate import validate as run_validate

    opts = {"sep": sep, "decimal": decimal, "encoding": encoding}
    try:
        dm = load_mapping(mapping) if mapping else None
        loaded = read_table(path, table.value, mapping=dm, **opts)
        inst = (
            read_table(institutions, "institutions", mapping=dm, **opts).data
            if institutions
            else None
        )
    except UnusableInputError as exc:
        raise _fail_unusable(str(exc), lang.value) from None
    report = run_validate(
        loaded.data,
        table.value,
        institutions=inst,
        source=loaded,
        analyses=True,
        lang=lang.value,
    )
    if report.issues:
        typer.echo(report.to_summary())
    else:
        typer.echo(report.summary_line())
    if show_log and loaded.log.entries:
        lg = lang.value
        typer.echo(cli_text("conversions", lg, summary=translate(loaded.log.summary(), lg)))
        for e in loaded.log.entries:
            if e.step != "rename":  # renames: counted in the summary line, one per column
                detail = translate(e.detail, lg)
                typer.echo(
                    cli_text(
                        "conversion", lg, step=e.step, column=e.column, detail=detail, n=e.count
                    )
                )
    raise typer.Exit(code=0 if report.valid else 1)


OutFormat = Enum("OutFormat", {f: f for f in dict.fromkeys(FORMATS.values())}, type=str)


@app.command(help=_command_help("synth"))
def synth(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help=_option_help("synth.out")),
    ],
    seed: Annotated[
        int,
        typer.Option("--seed", help=_option_help("synth.seed")),
    ] = DEFAULT_SEED,
    n_prisoners: Annotated[
        int,
        typer.Option("--n-prisoners", min=10, help=_option_help("synth.n_prisoners")),
    ] = 4100,
    n_institutions: Annotated[
        int, typer.Option("--n-institutions", min=2, help=_option_help("synth.n_institutions"))
    ] = 26,
    n_professionals: Annotated[
        int,
        typer.Option(
            "--n-professionals",
            min=1,
            help=_option_help("synth.n_professionals"),
        ),
    ] = 1000,
    fmt: Annotated[
        OutFormat, typer.Option("--format", "-f", help=_option_help("synth.fmt"))
    ] = OutFormat.csv,  # type: ignore[attr-defined]
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            "-m",
            help=_option_help("synth.mapping"),
        ),
    ] = None,
    lang: LangOption = Lang.en,
) -> None:
    """Generate the synthetic twin: institutions, prisoners, professionals and truth.json.

    The twin has the tables, variables, codes and published marginals of the 2019 DPVS wave and
    is drawn from a documented data-generating process whose every parameter is written to
    `truth.json` (see docs/synthetic_twin.md).
    """
    from . import synth as synth_module

    lg = lang.value
    try:
        dm = load_mapping(mapping) if mapping else None
    except UnusableInputError as exc:
        raise _fail_unusable(str(exc), lg) from None
    try:
        data = synth_module.generate(
            seed=seed,
            n_prisoners=n_prisoners,
            n_institutions=n_institutions,
            n_professionals=n_professionals,
        )
    except ValueError as exc:  # impossible sizes: one clear line, as for unusable input
        raise _fail_unusable(str(exc), lg) from None
    paths = synth_module.write_twin(data, out, fmt=fmt.value, mapping=dm)
    typer.echo(
        cli_text(
            "synth_wrote",
            lg,
            n_inst=len(data.institutions),
            n_pris=len(data.prisoners),
            n_prof=len(data.professionals),
            out=out,
            fmt=fmt.value,
            seed=seed,
        )
    )
    for p in paths.values():
        typer.echo(f"  {p}")


class Backend(StrEnum):
    native = "native"
    lme4 = "lme4"


@app.command(help=_command_help("report"))
def report(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            help=_option_help("report.data"),
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            "-m",
            help=_option_help("report.mapping"),
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=_option_help("report.out"),
        ),
    ] = None,
    backend: Annotated[
        Backend,
        typer.Option("--backend", help=_option_help("report.backend")),
    ] = Backend.native,
    lang: LangOption = Lang.en,
    seed: Annotated[int, typer.Option("--seed", help=_option_help("report.seed"))] = DEFAULT_SEED,
    threshold: Annotated[
        int | None,
        typer.Option(
            "--threshold",
            min=1,
            help=_option_help("report.threshold"),
        ),
    ] = None,
    step: Annotated[
        list[str] | None,
        typer.Option("--step", help=_option_help("report.step")),
    ] = None,
    sep: SepOption = None,
    decimal: DecimalOption = None,
    encoding: EncodingOption = None,
) -> None:
    """Run every analysis and write the reproducible report.

    Writes report.html (one self-contained page), the tables as CSV in tables/, the figures
    as PNG and SVG in figures/, and manifest.json to --out. Exit 0 when every step succeeded, 1 when a step failed (the
    others still run and the report says why) or the data break codebook rules, 2 with one
    line when the input cannot be used at all.
    """
    from .reporting.inputs import InvalidDataError
    from .reporting.report import build_report

    lg = lang.value
    try:
        run = build_report(
            data,
            mapping,
            out,
            backend=backend.value,
            lang=lang.value,
            seed=seed,
            threshold=threshold,
            steps=step or None,
            read_options={"sep": sep, "decimal": decimal, "encoding": encoding},
        )
    except UnusableInputError as exc:
        raise _fail_unusable(str(exc), lg) from None
    except KeyboardInterrupt as exc:
        notes = "; ".join(getattr(exc, "__notes__", [])) or cli_text("no_report_written", lg)
        typer.echo(cli_text("interrupted", lg, notes=translate(notes, lg)), err=True)
        raise typer.Exit(code=130) from None
    except InvalidDataError as exc:
        typer.echo(exc.to_summary(lg))
        typer.echo(cli_text("invalid_no_report", lg), err=True)
        raise typer.Exit(code=1) from None
    except ValueError as exc:  # bad option combination, e.g. an unknown --step
        raise _fail_unusable(str(exc), lg) from None
    n_fail = len(run.failed)
    secs = f"{run.manifest['wall_time_s']['total']:.1f}"
    if lg == "nl":
        secs = secs.replace(".", ",")
    typer.echo(
        cli_text(
            "report_done",
            lg,
            ok=len(run.results) - n_fail,
            n=len(run.results),
            seconds=secs,
            out=run.out_dir,
        )
    )
    for r in run.failed:
        typer.echo(cli_text("step_failed", lg, step=r.name, error=translate(r.error or "", lg)))
    raise typer.Exit(code=1 if n_fail else 0)


# --------------------------------------------------------------------------------------------
# power (issue 16): a separate block so that it merges cleanly with the other commands
# --------------------------------------------------------------------------------------------
def _floats(text: str, what: str, lang: str = "en") -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise _fail_unusable(
            f"{what} must be comma-separated numbers, got {text!r}", lang
        ) from None


@app.command(help=_command_help("power"))
def power(
    effect: Annotated[
        str,
        typer.Option(
            "--effect",
            "-e",
            help=_option_help("power.effect"),
        ),
    ] = "family_room_visit_ratio",
    values: Annotated[
        str | None,
        typer.Option(
            "--values",
            help=_option_help("power.values"),
        ),
    ] = None,
    institutions: Annotated[
        str,
        typer.Option(
            "--institutions",
            "-j",
            help=_option_help("power.institutions"),
        ),
    ] = "26",
    prisoners: Annotated[
        int | None, typer.Option("--prisoners", min=10, help=_option_help("power.prisoners"))
    ] = None,
    per_institution: Annotated[
        int | None,
        typer.Option("--per-institution", min=1, help=_option_help("power.per_institution")),
    ] = None,
    share_with_children: Annotated[
        float | None,
        typer.Option("--share-with-children", help=_option_help("power.share_with_children")),
    ] = None,
    facility: Annotated[
        list[str] | None,
        typer.Option("--facility", help=_option_help("power.facility")),
    ] = None,
    n_sims: Annotated[
        int, typer.Option("--n-sims", "-n", min=1, help=_option_help("power.n_sims"))
    ] = 1000,
    alpha: Annotated[float, typer.Option("--alpha", help=_option_help("power.alpha"))] = 0.05,
    target: Annotated[float, typer.Option("--target", help=_option_help("power.target"))] = 0.8,
    seed: Annotated[int, typer.Option("--seed", help=_option_help("power.seed"))] = 2026,
    jobs: Annotated[int, typer.Option("--jobs", help=_option_help("power.jobs"))] = 1,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help=_option_help("power.cache")),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=_option_help("power.out")),
    ] = None,
    list_effects: Annotated[
        bool, typer.Option("--list-effects", help=_option_help("power.list_effects"))
    ] = False,
    lang: LangOption = Lang.en,
) -> None:
    """Simulation-based power of the chapter's calibrated test for a named effect on the twin.

    Draws the synthetic twin with the effect set, refits the chapter's model (Wald t with
    between-within df) and counts rejections: power with Clopper-Pearson Monte Carlo
    intervals, the type-I rate at the null and the minimal detectable effect.
    """
    from . import power as pw

    lg = lang.value
    if list_effects:
        for name, e in pw.EFFECTS.items():
            typer.echo(
                f"{name}: {e.unit} (null {e.null:g}, default {e.default:g}; {e.analysis}, {e.term})"
            )
        raise typer.Exit()
    try:
        rates = {}
        for item in facility or []:
            name, sep, val = item.partition("=")
            if not sep:
                raise ValueError(f"--facility must be NAME=P, got {item!r}")
            rates[name.strip()] = float(val)
        designs = [
            pw.Design(
                n_institutions=int(j),
                n_prisoners=prisoners,
                per_institution=per_institution,
                share_with_children=share_with_children,
                facility_prevalence=rates,
            )
            for j in _floats(institutions, "--institutions", lg)
        ]
        vals = _floats(values, "--values", lg) if values else None
        res = pw.power(
            designs,
            effect,
            vals,
            n_sims=n_sims,
            alpha=alpha,
            target=target,
            seed=seed,
            n_jobs=jobs,
            cache_dir=cache,
            progress=sys.stderr.isatty(),
        )
    except ValueError as exc:
        raise _fail_unusable(str(exc), lg) from None
    cols = ["design", "value", "n_sims", "n_reject", "power", "ci_low", "ci_high", "n_failed"]
    test = translate(str(res.table["test"].iloc[0]), lg)
    typer.echo(
        cli_text("power_head", lg, parameter=res.effect.parameter, unit=res.effect.unit, test=test)
    )
    typer.echo(res.table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for _, m in res.mde.iterrows():
        mde = cli_text("power_mde_none", lg) if m["mde"] != m["mde"] else f"{m['mde']:.3g}"
        typer.echo(cli_text("power_mde", lg, target=f"{target:g}", design=m["design"], mde=mde))
    typer.echo(cli_text("power_seconds", lg, seconds=f"{res.seconds:.1f}"))
    if out is not None:
        from .figures.power import power_curve

        out.mkdir(parents=True, exist_ok=True)
        res.table.to_csv(out / "power.csv", index=False)
        res.mde.to_csv(out / "mde.csv", index=False)
        res.sims.to_csv(out / "sims.csv", index=False)
        x = (
            "n_institutions"
            if len(designs) > 1 and len(res.table["value"].unique()) == 1
            else "value"
        )
        power_curve(res.table, x=x, target=target).savefig(out / "power_curve.png", dpi=150)
        typer.echo(cli_text("power_wrote", lg, out=out))


def _argv_lang(args: list[str] | None = None) -> str:
    """The ``--lang`` of the command line, else ``REINTEGRATIE_LANG``, else English (for the
    help texts and the last guard, outside typer's parsing)."""
    import os

    args = sys.argv[1:] if args is None else args
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            return "nl" if args[i + 1] == "nl" else "en"
        if a.startswith("--lang="):
            return "nl" if a.split("=", 1)[1] == "nl" else "en"
    return "nl" if os.environ.get("REINTEGRATIE_LANG") == "nl" else "en"


def command(lang: str = "en") -> typer.core.TyperGroup:
    """The click command of :data:`app` with its ``--help`` texts in ``lang``.

    Every language, English included, comes from ``help.<lang>`` of
    ``data_schema/cli_messages.yaml`` (``commands``: descriptions; ``options``: help per
    ``<command>.<parameter>``, else per parameter). A text the file lacks stays the English
    one that :data:`app` was defined with (a test requires the same keys in each language).
    """
    group = typer.main.get_command(app)
    texts = _help_texts(lang)
    commands, options = texts["commands"], texts["options"]
    for name, cmd in [("root", group), *group.commands.items()]:  # type: ignore[attr-defined]
        cmd.help = commands.get(name, cmd.help)
        for param in cmd.params:
            key = f"{name}.{param.name}"
            if hasattr(param, "help") and (key in options or param.name in options):
                param.help = options.get(key, options.get(param.name))
    return group  # type: ignore[return-value]


def main() -> None:
    """Entry point of the console script (help texts in the ``--lang`` / ``REINTEGRATIE_LANG``
    language)."""
    try:
        command(_argv_lang())(prog_name="reintegratie-stats")
    except UnusableInputError as exc:  # a last guard: unusable input is never a traceback
        lang = _argv_lang()
        typer.echo(cli_text("error", lang, message=translate(str(exc), lang)), err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
