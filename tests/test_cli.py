"""The command line: exit codes 0/1/2, full reports, help for every option, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reintegratie_stats.cli import app
from reintegratie_stats.io import write_table
from reintegratie_stats.schema import TABLES

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("fmt", ["csv", "sav"])
def test_valid_file_exits_0_with_one_line(tables, tmp_path, fmt):
    path = write_table(tables["prisoners"], tmp_path / f"p.{fmt}", "prisoners")
    res = run("validate", str(path), "--table", "prisoners", "--no-log")
    assert res.exit_code == 0, res.output
    assert res.output.strip().count("\n") == 0
    assert "prisoners: valid" in res.output


def test_mapping_and_institutions_options(tables, tmp_path, mapping_path):
    p = write_table(tables["prisoners"], tmp_path / "p.sav", "prisoners", mapping=mapping_path)
    i = write_table(
        tables["institutions"], tmp_path / "i.sav", "institutions", mapping=mapping_path
    )
    res = run(
        "validate",
        str(p),
        "-t",
        "prisoners",
        "--mapping",
        str(mapping_path),
        "--institutions",
        str(i),
    )
    assert res.exit_code == 0, res.output
    assert "missing-code" in res.output  # the routed-out codes were converted, and said so


def test_invalid_file_exits_1_and_lists_every_problem(tables, tmp_path):
    df = tables["prisoners"].copy()
    df.loc[0, "age"] = 7.0
    df.loc[1, "contact_volunteer"] = 5.0
    df = df.drop(columns=["institution_id"])
    path = write_table(df, tmp_path / "p.csv", "prisoners")
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 1
    for text in (
        "value-out-of-range age",
        "undeclared-code contact_volunteer",
        "missing-column institution_id",
        "first: 1",
        "first: 2",
    ):
        assert text in res.output


def test_unknown_institution_is_reported(tables, tmp_path):
    inst = write_table(tables["institutions"].iloc[1:], tmp_path / "i.csv", "institutions")
    p = write_table(tables["prisoners"], tmp_path / "p.csv", "prisoners")
    res = run("validate", str(p), "-t", "prisoners", "--institutions", str(inst))
    assert res.exit_code == 1 and "unknown-institution institution_id" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "-t", "prisoners"], "file not found"),
        (["data.txt", "-t", "prisoners"], "unknown file format"),
        (["garbage.sav", "-t", "prisoners"], "cannot read"),
        (["ok.csv", "-t", "prisoners", "--mapping", "nomap.yaml"], "mapping file not found"),
        (["ok.csv", "-t", "prisoners", "--institutions", "noinst.csv"], "file not found"),
    ],
)
def test_unusable_input_exits_2_with_one_line(tables, tmp_path, args, message):
    (tmp_path / "data.txt").write_text("a,b\n1,2\n")
    (tmp_path / "garbage.sav").write_bytes(os.urandom(512))
    write_table(tables["prisoners"], tmp_path / "ok.csv", "prisoners")
    args = [str(tmp_path / a) if a.endswith((".csv", ".txt", ".sav", ".yaml")) else a for a in args]
    res = run("validate", *args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_unknown_table_exits_2(tables, tmp_path):
    p = write_table(tables["prisoners"], tmp_path / "p.csv", "prisoners")
    res = run("validate", str(p), "-t", "inmates")
    assert res.exit_code == 2


def test_help_describes_every_option():
    import typer

    group = typer.main.get_command(app)
    assert run("--help").exit_code == 0
    for name, command in group.commands.items():
        res = run(name, "--help")
        assert res.exit_code == 0, name
        assert command.help, f"{name} has no description"
        for param in command.params:
            if param.name == "help":
                continue
            assert getattr(param, "help", None), f"{name}: {param.name} has no help text"
            if param.param_type_name == "option":
                assert param.opts[0] in res.output, f"{name}: {param.opts[0]} not in --help"


def test_help_is_dutch_under_lang_nl():
    """Every description and option help of ``command("nl")`` is another text than the
    English one (a text cli_messages.yaml lacks would stay English), and the console script
    shows them with ``--lang nl`` and with ``REINTEGRATIE_LANG=nl``."""
    from reintegratie_stats.cli import command
    from reintegratie_stats.labels import cli_messages

    en, nl = command("en"), command("nl")
    pairs = [(en, nl), *((en.commands[k], nl.commands[k]) for k in en.commands)]
    for e, d in pairs:
        assert d.help and d.help != e.help, e.name
        for pe, pd_ in zip(e.params, d.params, strict=True):
            if pe.name != "help":
                assert pd_.help and pd_.help != pe.help, (e.name, pe.name)
    assert command("en").commands["report"].help == en.commands["report"].help  # no leak
    want = cli_messages()["help"]["nl"]["options"]["report.seed"]
    for extra_args, env in ((["--lang", "nl"], {}), ([], {"REINTEGRATIE_LANG": "nl"})):
        res = subprocess.run(
            [sys.executable, "-m", "reintegratie_stats.cli", "report", "--help", *extra_args],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": "src", "COLUMNS": "300", **env},
        )
        assert res.returncode == 0, res.stderr
        assert want in " ".join(res.stdout.split()), res.stdout


def test_help_texts_have_the_same_keys_in_every_language():
    """``help.<lang>`` of cli_messages.yaml: the same keys in every language of the codebook,
    each command and parameter of the command finds its own text there (none falls back to
    another language), and no key is left that no parameter uses."""
    from reintegratie_stats.cli import command
    from reintegratie_stats.labels import LANGS, cli_messages

    helps = cli_messages()["help"]
    assert set(helps) == set(LANGS)
    group = command("en")
    for lang in LANGS:
        commands, options = helps[lang]["commands"], helps[lang]["options"]
        assert set(commands) == set(helps["en"]["commands"]), lang
        assert set(options) == set(helps["en"]["options"]), lang
        used: set[str] = set()
        for name, cmd in [("root", group), *group.commands.items()]:
            assert commands.get(name), (lang, name)
            used.add(name)
            for param in cmd.params:
                if param.name == "help":
                    continue
                key = f"{name}.{param.name}" if f"{name}.{param.name}" in options else param.name
                assert options.get(key), (lang, name, param.name)
                used.add(key)
        assert used == set(commands) | set(options), (lang, (set(commands) | set(options)) - used)


def test_cli_source_has_no_help_literal():
    """cli.py holds no ``--help`` text: every ``help=`` reads help.en of cli_messages.yaml,
    and every command gets ``help=`` so that click never shows the developers' docstring."""
    import ast

    import typer

    from reintegratie_stats import cli
    from reintegratie_stats.labels import cli_messages

    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    helps = [k.value for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg == "help"]
    readers = {"_option_help", "_command_help"}
    for value in helps:
        assert isinstance(value, ast.Call) and getattr(value.func, "id", None) in readers, (
            f"line {value.lineno}: help={ast.unparse(value)}"
        )
    en = cli_messages()["help"]["en"]
    read = [(value.func.id, ast.literal_eval(value.args[0])) for value in helps]
    assert sorted(k for f, k in read if f == "_command_help") == sorted(en["commands"])
    assert sorted(k for f, k in read if f == "_option_help") == sorted(en["options"])
    group = typer.main.get_command(cli.app)
    decorated = [
        f
        for f in tree.body
        if isinstance(f, ast.FunctionDef)
        and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", None) == "command"
            for d in f.decorator_list
        )
    ]
    assert {f.name for f in decorated} == set(group.commands)
    for f in decorated:
        (deco,) = [d for d in f.decorator_list if isinstance(d, ast.Call)]
        assert any(k.arg == "help" for k in deco.keywords), f.name
        assert ast.get_docstring(f), f"{f.name}: keep the docstring for developers"
    for name, cmd in [("root", group), *group.commands.items()]:
        assert cmd.help == en["commands"][name], name  # the YAML, not the docstring


def test_console_script_prints_no_traceback(tmp_path):
    garbage = tmp_path / "x.sav"
    garbage.write_bytes(b"\x00" * 64)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "reintegratie_stats.cli",
            "validate",
            str(garbage),
            "-t",
            "prisoners",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": "src"},
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stderr.strip().startswith("error:")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_corruption_through_the_cli(tables, codebook, tmp_path_factory, data):
    table = data.draw(st.sampled_from(TABLES))
    schema = codebook[table]
    df = tables[table].copy()
    d = tmp_path_factory.mktemp("c")
    kind = data.draw(st.sampled_from(["range", "drop", "dup", "bytes"]))
    if kind == "bytes":
        path = d / f"{table}.{data.draw(st.sampled_from(['sav', 'dta', 'parquet']))}"
        path.write_bytes(data.draw(st.binary(min_size=0, max_size=300)))
        res = run("validate", str(path), "-t", table)
        assert res.exit_code == 2 and "Traceback" not in res.output
        return
    if kind == "range":
        col = data.draw(
            st.sampled_from([v.name for v in schema if v.bounds and v.asked_if is None])
        )
        df.loc[data.draw(st.integers(0, len(df) - 1)), col] = schema[col].bounds[1] + 100
    elif kind == "drop":
        col = data.draw(st.sampled_from(schema.required))
        df = df.drop(columns=[col])
    else:
        col = schema.primary_key
        df.loc[0, col] = df.loc[1, col]
    path = write_table(df, d / f"{table}.csv", table)
    res = run("validate", str(path), "-t", table)
    assert res.exit_code == 1, res.output
    assert f" {col}:" in res.output


def test_synth_writes_valid_tables_and_is_byte_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        res = run(
            "synth",
            "--out",
            str(out),
            "--seed",
            "7",
            "--n-prisoners",
            "300",
            "--n-institutions",
            "6",
        )
        assert res.exit_code == 0, res.output
    for name in ("institutions.csv", "prisoners.csv", "professionals.csv", "truth.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for table in TABLES:
        res = run(
            "validate",
            str(a / f"{table}.csv"),
            "-t",
            table,
            "--institutions",
            str(a / "institutions.csv"),
        )
        assert res.exit_code == 0, res.output


def test_synth_sav_with_mapping_validates_through_the_same_mapping(tmp_path, mapping_path):
    res = run(
        "synth",
        "--out",
        str(tmp_path),
        "--n-prisoners",
        "200",
        "--n-institutions",
        "5",
        "--format",
        "sav",
        "--mapping",
        str(mapping_path),
    )
    assert res.exit_code == 0, res.output
    res = run(
        "validate",
        str(tmp_path / "prisoners.sav"),
        "-t",
        "prisoners",
        "-m",
        str(mapping_path),
        "--institutions",
        str(tmp_path / "institutions.sav"),
    )
    assert res.exit_code == 0, res.output
    assert "recode regime: 1 -> HvB" in res.output


def test_synth_bad_mapping_exits_2(tmp_path):
    res = run("synth", "--out", str(tmp_path), "--mapping", str(tmp_path / "nope.yaml"))
    assert res.exit_code == 2 and "mapping file not found" in res.output


def test_synth_impossible_size_exits_2(tmp_path):
    res = run("synth", "--out", str(tmp_path), "--n-institutions", "50", "--n-professionals", "10")
    assert res.exit_code == 2 and "Traceback" not in res.output


# --------------------------------------------------------------------------------------------
# --lang nl: every subcommand's refusals and messages in Dutch (data_schema/cli_messages.yaml)
# --------------------------------------------------------------------------------------------
#: English words none of the Dutch messages may contain (word boundaries; kebab-case issue
#: codes such as ``unknown-column`` and file names are identifiers, taken out before the check).
ENGLISH = (
    "error", "cannot", "must", "expected", "got", "found", "unknown", "file", "line",
    "column", "columns", "rows", "row", "the", "not", "and", "with", "than", "twice",
    "header", "failed", "invalid", "valid", "needs", "known", "read", "missing", "wrote",
)  # fmt: skip


def _english_left(text: str, folder) -> list[str]:
    import re

    text = text.replace(str(folder), "<map>")
    text = re.sub(r"\S+\.(csv|yaml|txt|sav|parquet|dta)\b", "<bestand>", text)
    text = re.sub(r"\b\w+(?:-\w+)+\b", "<code>", text)  # issue codes: stable identifiers
    text = re.sub(r"\{[^}]*\}", "<yaml>", text)  # the mapping's own keys, as the user writes them
    text = re.sub(r"'[^']*'", "<naam>", text)  # quoted names and values, as in the file
    text = re.sub(r"\S*[_.]\S*", "<naam>", text)  # codebook names and key paths: identifiers
    words = set(re.findall(r"[A-Za-z]+", text.lower()))
    return sorted(words & set(ENGLISH))


def _nl_cases(d, tables):
    """(arguments, expected exit code, Dutch words expected) per refusal, every subcommand."""
    good = d / "gedetineerden.csv"
    write_table(tables["prisoners"], good, "prisoners")
    bad = d / "fout.csv"
    write_table(tables["prisoners"].drop(columns=["prisoner_id"]), bad, "prisoners")
    cut = d / "afgebroken.csv"
    cut.write_bytes(good.read_bytes()[:-7])
    dup = d / "dubbel.csv"
    dup.write_text("prisoner_id;age;age\n1;30;31\n", encoding="utf-8")
    short = d / "kort.csv"
    short.write_text("prisoner_id,age,sex\n1,30,1\n2\n", encoding="utf-8")
    (d / "tekst.txt").write_text("x", encoding="utf-8")
    broken_map = d / "kapot.yaml"
    broken_map.write_text("tables:\n  prisoners: 5\n", encoding="utf-8")
    typo_map = d / "typo.yaml"
    typo_map.write_text("tables:\n  prisoners:\n    columns:\n      leeftijd: aeg\n", "utf-8")
    folder = d / "map"
    folder.mkdir()
    write_table(tables["prisoners"], folder / "prisoners.csv", "prisoners")
    write_table(tables["institutions"], folder / "institutions.csv", "institutions")
    v = ["validate", "--table", "prisoners", "--lang", "nl"]
    return [
        (v + [str(d / "weg.csv")], 2, ["bestand niet gevonden"]),
        (v + [str(d / "tekst.txt")], 2, ["onbekend bestandsformaat"]),
        (v + [str(good), "--decimal", ";"], 2, ["--decimal moet"]),
        (v + [str(good), "--encoding", "klingon"], 2, ["onbekende --encoding"]),
        (v + [str(cut)], 2, ["afgebroken"]),
        (v + [str(dup)], 2, ["komt twee keer voor", "geef een van beide een andere naam"]),
        (v + [str(short)], 2, ["rij 2 (regel 3) heeft 1 van 3 velden"]),
        (v + [str(good), "--mapping", str(broken_map)], 2, ["mapping", "verwacht"]),
        (v + [str(good), "--mapping", str(typo_map)], 2, ["'aeg' is geen variabele"]),
        (v + [str(good), "--mapping", str(d / "weg.yaml")], 2, ["niet gevonden"]),
        (v + [str(bad)], 1, ["ONGELDIG", "verplichte kolom ontbreekt"]),
        (["report", "--data", str(d / "weg"), "--lang", "nl"], 2, ["gegevensmap niet gevonden"]),
        (["report", "--mapping", str(typo_map), "--lang", "nl"], 2, ["--mapping vraagt om --data"]),
        (
            [
                "report",
                "--data",
                str(folder),
                "--step",
                "geen",
                "--out",
                str(d / "uit"),
                "--lang",
                "nl",
            ],
            2,
            ["onbekende stap"],
        ),  # fmt: skip
        (
            [
                "synth",
                "--out",
                str(d / "tw"),
                "--n-institutions",
                "5",
                "--n-professionals",
                "2",
                "--lang",
                "nl",
            ],
            2,
            ["moet >= n_institutions"],
        ),  # fmt: skip
        (["power", "--institutions", "veel", "--lang", "nl"], 2, ["moet getallen"]),
        (["power", "--facility", "kamer", "--lang", "nl"], 2, ["--facility moet NAAM=P"]),
        (["power", "--effect", "geen", "--lang", "nl"], 2, ["onbekend effect"]),
    ]


def test_every_subcommand_refuses_in_dutch_with_its_exit_code(tmp_path, tables):
    d = tmp_path / "gegevens"
    d.mkdir()
    english = {}
    for args, code, words in _nl_cases(d, tables):
        res = runner.invoke(app, args)
        out = res.output + (res.stderr if res.stderr_bytes is not None else "")
        assert res.exit_code == code, (args, res.exit_code, out)
        assert "Traceback" not in out, args
        for w in words:
            assert w in out, (args, w, out)
        left = _english_left(out, d)
        if left:
            english[" ".join(args[:1] + args[-3:])] = (left, out)
    assert english == {}, english


def test_the_messages_of_both_languages_have_the_same_keys_and_fields():
    import re

    from reintegratie_stats.labels import cli_messages

    texts = cli_messages()["texts"]
    assert set(texts) == {"en", "nl"}
    assert texts["en"].keys() == texts["nl"].keys()
    for key, en in texts["en"].items():
        fields = lambda s: set(re.findall(r"\{(\w+)\}", s))  # noqa: E731
        assert fields(en) == fields(texts["nl"][key]), key
