from __future__ import annotations

import json

import pandas as pd
import pytest

from framescope.cli import main

from .conftest import LABELS, read_scored, tiny_records, write_table

TEXTS = ["foreign agents organised it", "prices are too high", "", "stay calm"]


def _write(path, fmt):
    df = pd.DataFrame({"id": [1, 2, 3, 4], "quote": TEXTS, "outlet": list("abcd")})
    write_table(df, path)


@pytest.mark.parametrize("fmt", [".csv", ".jsonl", ".jsonl.gz", ".parquet"])
def test_score_round_trip(tmp_path, tiny_model_dir, fmt, capsys):
    src, dst = tmp_path / f"in{fmt}", tmp_path / f"out{fmt}"
    _write(src, fmt)
    rc = main(
        [
            "--quiet",
            "score",
            str(src),
            "-o",
            str(dst),
            "--text-column",
            "quote",
            "--model",
            str(tiny_model_dir),
            "--chunk-size",
            "3",
        ]
    )
    assert rc == 0
    assert "scored 4 rows" in capsys.readouterr().out
    out = read_scored(dst)
    scores = [f"score_{n}" for n in LABELS]
    assert list(out.columns) == ["id", "quote", "outlet", "labels", *scores, "windows"]
    assert out["windows"].tolist() == [1, 1, 0, 1]
    assert out["id"].astype(int).tolist() == [1, 2, 3, 4]
    assert out["quote"].tolist() == TEXTS
    assert out["labels"][2] == []
    from framescope import FrameClassifier

    clf = FrameClassifier.load(tiny_model_dir)
    expected = clf.predict_proba(TEXTS)
    got = out[[f"score_{n}" for n in LABELS]].to_numpy()
    assert abs(got - expected).max() < 1e-4
    meta = json.loads((tmp_path / f"out{fmt}.meta.json").read_text())
    assert meta["codebook"] == {"name": "toy", "version": "1"} and meta["rows"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name, dst.name, f"out{fmt}.meta.json"]
    )


@pytest.mark.parametrize(
    "make, args, message",
    [
        (None, ["score", "{tmp}/missing.csv", "-o", "{tmp}/o.csv"], "not found"),
        (
            "csv",
            ["score", "{tmp}/in.csv", "-o", "{tmp}/o.csv", "--text-column", "qoute"],
            "did you mean 'quote'",
        ),
        (
            "csv",
            ["score", "{tmp}/in.csv", "-o", "{tmp}/o.txt", "--text-column", "quote"],
            "unsupported format",
        ),
        (
            "csv",
            ["score", "{tmp}/in.csv", "-o", "{tmp}/o.csv", "--model", "{tmp}/nomodel"],
            "model folder not found",
        ),
        ("empty", ["score", "{tmp}/in.csv", "-o", "{tmp}/o.csv"], "empty file"),
        ("badjson", ["score", "{tmp}/in.jsonl", "-o", "{tmp}/o.jsonl"], "line 2: malformed JSON"),
    ],
)
def test_user_errors_exit_2_with_one_line_and_no_output(
    tmp_path, tiny_model_dir, capsys, make, args, message
):
    if make == "csv":
        _write(tmp_path / "in.csv", ".csv")
    elif make == "empty":
        (tmp_path / "in.csv").write_text("")
    elif make == "badjson":
        (tmp_path / "in.jsonl").write_text('{"text": "ok"}\n{"text": \n')
    argv = [a.format(tmp=tmp_path) for a in args]
    if "--model" not in argv:
        argv += ["--model", str(tiny_model_dir)]
    rc = main(["--quiet", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("framescope: error:") and message in err[0]
    assert not any(p.name.startswith(("o.", ".o.")) for p in tmp_path.iterdir())


def test_predict_json(tiny_model_dir, capsys):
    assert (
        main(
            [
                "--quiet",
                "predict",
                "--json",
                "--model",
                str(tiny_model_dir),
                "foreign agents",
                "calm",
            ]
        )
        == 0
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["text"] for x in lines] == ["foreign agents", "calm"]
    assert set(lines[0]["scores"]) == set(LABELS)
    assert lines[0]["codebook"] == {"name": "toy", "version": "1"}


def test_evaluate_writes_table_json_and_markdown(tmp_path, tiny_model_dir, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in tiny_records()))
    from framescope import Codebook

    Codebook.from_dict({"name": "toy", "version": "1", "labels": LABELS}).to_yaml(
        tmp_path / "codebook.yaml"
    )
    rc = main(
        [
            "--quiet",
            "evaluate",
            "--model",
            str(tiny_model_dir),
            "--corpus",
            str(corpus),
            "-o",
            str(tmp_path / "report"),
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "framescope P/R/F1" in out and "tfidf-logreg P/R/F1" in out and "macro-f1" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["systems"]) == {"framescope", "tfidf-logreg"}
    assert report["systems"]["framescope"]["n"] == 4
    assert "| macro-f1 |" in (tmp_path / "report.md").read_text()


def test_evaluate_refuses_a_corpus_of_another_codebook(tmp_path, tiny_model_dir, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in tiny_records()))
    from framescope import Codebook

    Codebook.from_dict({"name": "toy", "version": "2", "labels": LABELS}).to_yaml(
        tmp_path / "codebook.yaml"
    )
    rc = main(["--quiet", "evaluate", "--model", str(tiny_model_dir), "--corpus", str(corpus)])
    assert rc == 2
    assert "toy@2 does not match the model's toy@1" in capsys.readouterr().err


def test_validate_lists_problems_and_exits_2(tmp_path, capsys):
    path = tmp_path / "c.jsonl"
    rows = tiny_records()
    rows[1]["labels"] = ["alpah"]
    rows[2]["id"] = rows[0]["id"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    from framescope import Codebook

    Codebook.from_dict({"name": "toy", "version": "1", "labels": LABELS}).to_yaml(
        tmp_path / "codebook.yaml"
    )
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    assert "line 2: unknown label 'alpah' (did you mean 'alpha'?)" in out
    assert "line 3: duplicate id 'train-0' (first on line 1)" in out
    assert (
        main(["validate", str(tmp_path / "codebook.yaml").replace("codebook.yaml", "c.jsonl")]) == 2
    )


def test_train_reports_every_corpus_problem_before_training(tmp_path, capsys):
    path = tmp_path / "c.jsonl"
    rows = tiny_records()
    rows[0]["text"] = ""
    rows[3]["split"] = "tset"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rc = main(["--quiet", "train", "--corpus", str(path), "--output", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "line 1: empty text" in err and "line 4: unknown split 'tset'" in err
    assert not (tmp_path / "m").exists()


def test_cli_train_writes_a_model(tmp_path, tiny_encoder, capsys):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in tiny_records()))
    rc = main(
        [
            "--quiet",
            "train",
            "--corpus",
            str(path),
            "--output",
            str(tmp_path / "m"),
            "--base-model",
            str(tiny_encoder),
            "--epochs",
            "1",
            "--finetune",
            "full",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "recipe: base_model=" in out and "finetune=full" in out and "epochs=1" in out
    assert "saved" in out
    assert (tmp_path / "m" / "framescope.json").is_file()


def test_evaluate_a_plain_labelled_file_without_splits(tmp_path, tiny_model_dir, capsys):
    path = tmp_path / "gold.csv"
    rows = [
        {"id": r["id"], "text": r["text"], "labels": ";".join(r["labels"])} for r in tiny_records()
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    rc = main(
        [
            "--quiet",
            "evaluate",
            "--model",
            str(tiny_model_dir),
            "--corpus",
            str(path),
            "--split",
            "all",
            "--json",
        ]
    )
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["systems"]["framescope"]["n"] == len(rows)


def test_score_on_error_skip_goes_on_and_names_the_side_file(tmp_path, tiny_model_dir, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"text": "calm please"}\n{"text": \n{"text": "prices"}\n')
    out = tmp_path / "o.jsonl"
    argv = ["--quiet", "score", str(src), "-o", str(out), "--model", str(tiny_model_dir)]
    assert main([*argv, "--on-error", "skip"]) == 0
    assert "scored 2 rows" in capsys.readouterr().out
    assert (
        (tmp_path / "o.jsonl.bad_rows.csv")
        .read_text()
        .splitlines()[1]
        .endswith(",2,malformed JSON (Expecting value)")
    )
