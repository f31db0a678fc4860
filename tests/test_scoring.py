"""score_file: resumable part files, folder input, and what an interruption leaves behind."""

from __future__ import annotations

import json
import signal
import subprocess

import numpy as np
import pandas as pd
import pytest

from framescope import FrameClassifier, score_file
from framescope.cli import main
from framescope.errors import InputFileError
from framescope.resumable import work_dir

from .conftest import LABELS, read_scored, start_scoring, tiny_records, write_table

FORMATS = [".csv", ".jsonl", ".jsonl.gz", ".parquet"]
SCORES = [f"score_{n}" for n in LABELS]
WORDS = sorted({w for r in tiny_records() for w in r["text"].split()})


@pytest.fixture(scope="module")
def clf(tiny_model_dir) -> FrameClassifier:
    return FrameClassifier.load(tiny_model_dir, device="cpu")


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(1, 9))) for _ in range(n)]
    texts[3] = ""  # an empty text gets no label
    return pd.DataFrame({"id": range(n), "text": texts, "outlet": [f"o{i % 5}" for i in range(n)]})


def _write(path, fmt: str, n: int = 60, seed: int = 0) -> None:
    write_table(_frame(n, seed), path, row_group_size=16)  # row groups straddle the chunks


def _assert_same_output(got, expected, fmt: str) -> None:
    a, b = read_scored(got), read_scored(expected)
    columns = ["id", "text", "outlet", "labels", *SCORES, "windows"]
    assert list(a.columns) == list(b.columns) == columns
    assert a["id"].astype(int).tolist() == b["id"].astype(int).tolist()
    assert a["id"].is_unique
    assert a["text"].tolist() == b["text"].tolist()
    assert a["labels"].tolist() == b["labels"].tolist()
    np.testing.assert_allclose(a[SCORES].to_numpy(), b[SCORES].to_numpy(), atol=1e-5)


def _interrupt_predict_on(monkeypatch, clf: FrameClassifier, call: int) -> list[int]:
    """Make the ``call``-th predict_proba raise KeyboardInterrupt; returns the call log."""
    calls: list[int] = []
    real = clf.predict_proba

    def predict(texts, *args, **kwargs):
        calls.append(len(texts))
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(clf, "predict_proba", predict)
    return calls


def _interrupt_run(monkeypatch, clf: FrameClassifier, src, out, call: int) -> None:
    """Score ``src`` to ``out`` in chunks of 7 and stop it with Ctrl-C on chunk ``call``."""
    with monkeypatch.context() as m:
        _interrupt_predict_on(m, clf, call=call)
        with pytest.raises(KeyboardInterrupt):
            score_file(src, out, clf, chunk_size=7, progress=False)


def _parts(output) -> list[str]:
    return sorted(p.name for p in work_dir(output).iterdir())


# ---------------------------------------------------------------------- resume = clean run
@pytest.mark.parametrize("fmt", FORMATS)
def test_interrupted_run_resumes_to_the_same_output(tmp_path, clf, monkeypatch, fmt):
    src, out, clean = tmp_path / f"in{fmt}", tmp_path / f"out{fmt}", tmp_path / f"clean{fmt}"
    _write(src, fmt)
    score_file(src, clean, clf, chunk_size=7, progress=False)

    _interrupt_run(monkeypatch, clf, src, out, call=4)
    assert not out.exists()
    assert _parts(out) == ["manifest.json"] + [f"part-{i:06d}{fmt}" for i in range(3)]

    calls = _interrupt_predict_on(monkeypatch, clf, call=0)
    summary = score_file(src, out, clf, chunk_size=7, progress=False, resume=True)
    assert calls == [7, 7, 7, 7, 7, 4]  # only the chunks after the 3 kept parts
    assert (summary.rows, summary.resumed, summary.empty_texts) == (60, 21, 1)
    assert "60 rows" in str(summary) and "21 resumed" in str(summary)
    _assert_same_output(out, clean, fmt)
    assert not work_dir(out).exists()
    meta = json.loads((tmp_path / f"out{fmt}.meta.json").read_text())
    assert meta["rows"] == 60 and meta["empty_texts"] == 1


def test_killed_subprocess_resumes_to_the_same_output(tmp_path, tiny_model_dir, clf, capsys):
    src, out, clean = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "clean.jsonl"
    _write(src, ".jsonl", n=700)
    argv = ["score", str(src), "-o", str(out), "--model", str(tiny_model_dir)]
    proc = start_scoring([*argv, "--chunk-size", "7"], out, stderr=subprocess.DEVNULL)
    try:
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    kept = [p for p in work_dir(out).iterdir() if p.name.startswith("part-")]
    assert 1 <= len(kept) < 700 // 7

    assert main(["--quiet", *argv, "--chunk-size", "7", "--resume"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("scored 700 rows in ") and "resumed" in line and str(out) in line
    score_file(src, clean, clf, chunk_size=7, progress=False)
    _assert_same_output(out, clean, ".jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["in.jsonl", "out.jsonl", "out.jsonl.meta.json", "clean.jsonl", "clean.jsonl.meta.json"]
    )


# ---------------------------------------------------------------------- refusals
def test_a_different_chunk_size_or_input_refuses_to_resume(tmp_path, clf, monkeypatch):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(src, ".csv")
    _interrupt_run(monkeypatch, clf, src, out, call=3)
    with pytest.raises(InputFileError, match=r"chunk_size \(7 then, 8 now\)") as err:
        score_file(src, out, clf, chunk_size=8, progress=False, resume=True)
    assert str(work_dir(out)) in str(err.value) and "delete" in str(err.value)
    with pytest.raises(InputFileError, match=r"text_column \('text' then, 'outlet' now\)"):
        score_file(src, out, clf, chunk_size=7, text_column="outlet", progress=False, resume=True)
    _write(src, ".csv", n=61)
    with pytest.raises(InputFileError, match="input_size"):
        score_file(src, out, clf, chunk_size=7, progress=False, resume=True)
    assert len(_parts(out)) == 3  # refusing leaves the parts alone


def test_an_unfinished_run_without_resume_is_an_error_naming_its_folder(
    tmp_path, tiny_model_dir, clf, monkeypatch, capsys
):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    _write(src, ".parquet")
    _interrupt_run(monkeypatch, clf, src, out, call=2)
    with pytest.raises(InputFileError, match="--resume") as err:
        score_file(src, out, clf, chunk_size=7, progress=False)
    assert str(work_dir(out)) in str(err.value)
    argv = ["--quiet", "score", str(src), "-o", str(out), "--model", str(tiny_model_dir)]
    assert main(argv) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and str(work_dir(out)) in err_lines[0]
    assert _parts(out) == ["manifest.json", "part-000000.parquet"]


def test_resume_without_an_unfinished_run_starts_fresh(tmp_path, clf, caplog):
    src, out = tmp_path / "in.jsonl.gz", tmp_path / "sub" / "out.jsonl.gz"
    _write(src, ".jsonl.gz")
    with caplog.at_level("INFO", logger="framescope"):
        summary = score_file(src, out, clf, chunk_size=7, progress=False, resume=True)
    assert "starting fresh" in caplog.text
    assert (summary.rows, summary.resumed) == (60, 0) and out.is_file()


# ---------------------------------------------------------------------- interruptions
@pytest.mark.parametrize("fmt", [".csv", ".parquet"])
def test_interrupt_while_writing_a_part_leaves_no_output_and_no_half_part(
    tmp_path, clf, monkeypatch, fmt
):
    import framescope.resumable as resumable

    src, out, clean = tmp_path / f"in{fmt}", tmp_path / f"out{fmt}", tmp_path / f"clean{fmt}"
    _write(src, fmt)
    real = resumable.write_frame
    calls = []

    def write_half(handle, df, *args, **kwargs):
        calls.append(len(df))
        if len(calls) == 3:
            handle.write(b"half a part")
            raise KeyboardInterrupt
        real(handle, df, *args, **kwargs)

    monkeypatch.setattr(resumable, "write_frame", write_half)
    with pytest.raises(KeyboardInterrupt):
        score_file(src, out, clf, chunk_size=7, progress=False)
    assert not out.exists()
    assert _parts(out) == ["manifest.json", f"part-000000{fmt}", f"part-000001{fmt}"]
    assert len(read_scored(work_dir(out) / f"part-000000{fmt}")) == 7
    second = work_dir(out) / f"part-000001{fmt}"  # a CSV header is only in the first part
    rows = pd.read_csv(second, header=None) if fmt == ".csv" else read_scored(second)
    assert len(rows) == 7
    monkeypatch.undo()
    score_file(src, out, clf, chunk_size=7, progress=False, resume=True)
    score_file(src, clean, clf, chunk_size=7, progress=False)
    _assert_same_output(out, clean, fmt)


def test_interrupt_while_joining_the_parts_leaves_no_output(tmp_path, clf, monkeypatch):
    import framescope.resumable as resumable

    src, out, clean = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "clean.jsonl"
    _write(src, ".jsonl")

    def join_half(sources, handle, fmt):
        handle.write(b'{"id": 0}\n')
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(resumable, "concat_files", join_half)
        with pytest.raises(KeyboardInterrupt):
            score_file(src, out, clf, chunk_size=7, progress=False)
    assert not out.exists() and not (tmp_path / "out.jsonl.meta.json").exists()
    assert _parts(out) == ["manifest.json"] + [f"part-{i:06d}.jsonl" for i in range(9)]
    calls = _interrupt_predict_on(monkeypatch, clf, call=0)
    summary = score_file(src, out, clf, chunk_size=7, progress=False, resume=True)
    assert calls == [] and (summary.rows, summary.resumed) == (60, 60)
    monkeypatch.undo()
    score_file(src, clean, clf, chunk_size=7, progress=False)
    _assert_same_output(out, clean, ".jsonl")


# ---------------------------------------------------------------------- folders
def _folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, name in enumerate(["a.csv", "b.jsonl", "c.parquet"]):
        _write(folder / name, name[name.index(".") :], n=20, seed=i)
    (folder / "notes.txt").write_text("not a table\n")
    (folder / "nested").mkdir()
    _write(folder / "nested" / "d.csv", ".csv", n=5)
    return folder


def test_folder_input_scores_each_file_and_resume_skips_finished_ones(
    tmp_path, clf, monkeypatch, tiny_model_dir, capsys
):
    folder = _folder(tmp_path)
    clean = tmp_path / "clean"
    summary = score_file(folder, clean, clf, chunk_size=7, progress=False)
    assert (summary.rows, summary.files, summary.output) == (60, 3, clean)
    assert "from 3 files" in str(summary)
    assert sorted(p.name for p in clean.iterdir()) == sorted(
        ["a.csv", "b.jsonl", "c.parquet", "a.csv.meta.json", "b.jsonl.meta.json"]
        + ["c.parquet.meta.json"]
    )

    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _interrupt_predict_on(m, clf, call=5)  # a.csv done (3 chunks), b.jsonl 1 part in
        with pytest.raises(KeyboardInterrupt):
            score_file(folder, out, clf, chunk_size=7, progress=False)
    assert (out / "a.csv").is_file() and not (out / "b.jsonl").exists()
    assert _parts(out / "b.jsonl") == ["manifest.json", "part-000000.jsonl"]
    with pytest.raises(InputFileError, match="--resume"):
        score_file(folder, out, clf, chunk_size=7, progress=False)

    a_written = (out / "a.csv").stat().st_mtime_ns
    calls = _interrupt_predict_on(monkeypatch, clf, call=0)
    summary = score_file(folder, out, clf, chunk_size=7, progress=False, resume=True)
    assert calls == [7, 6, 7, 7, 6]  # b.jsonl after its first part, then c.parquet
    assert (summary.rows, summary.resumed, summary.files) == (60, 27, 3)
    assert (out / "a.csv").stat().st_mtime_ns == a_written
    for name in ["a.csv", "b.jsonl", "c.parquet"]:
        _assert_same_output(out / name, clean / name, name[name.index(".") :])
    assert not any(p.name.startswith(".") for p in out.iterdir())

    monkeypatch.undo()
    argv = ["--quiet", "score", str(folder), "-o", str(out), "--model", str(tiny_model_dir)]
    assert main([*argv, "--resume"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("scored 60 rows from 3 files in ") and line.endswith(str(out))


def test_folder_refusals(tmp_path, clf):
    folder = _folder(tmp_path)
    with pytest.raises(InputFileError, match="overwrite the input"):
        score_file(folder, folder, clf, progress=False)
    (tmp_path / "file.csv").write_text("text\nx\n")
    with pytest.raises(InputFileError, match="must be one too"):
        score_file(folder, tmp_path / "file.csv", clf, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match="no .csv"):
        score_file(empty, tmp_path / "o", clf, progress=False)


def test_part_store_keeps_only_contiguous_parts_and_drops_half_written_files(tmp_path):
    from framescope.resumable import PartStore

    out = tmp_path / "out.jsonl"
    manifest = {"input": "x", "chunk_size": 2}
    store = PartStore.open(out, manifest, resume=False)
    for i in range(3):
        store.write(pd.DataFrame({"id": [2 * i, 2 * i + 1]}))
    (work_dir(out) / "part-000001.jsonl").unlink()  # a gap: part 2 cannot be continued
    (work_dir(out) / ".part-000003.jsonl.tmp").write_text('{"id": 6}\n{"i')
    store = PartStore.open(out, manifest, resume=True)
    assert store.done == 1 and _parts(out) == ["manifest.json", "part-000000.jsonl"]
    store.write(pd.DataFrame({"id": [2, 3]}))
    assert store.finish() == out and read_scored(out)["id"].tolist() == [0, 1, 2, 3]
    store.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def _with_bad_lines(path) -> list[int]:
    """A JSONL file of 40 statements with four bad lines; returns the bad line numbers."""
    lines = [json.dumps({"id": i, "text": t}) for i, t in enumerate(_frame(40)["text"])]
    lines[5] = '{"id": 5, "text": '
    lines[12] = json.dumps({"id": 12, "text": 12})
    lines[20] = '["id", 20]'
    path.write_bytes(("\n".join(lines[:30]) + "\n").encode() + b'{"text": "\xff"}\n')
    return [6, 13, 21, 31]


def test_skip_leaves_bad_rows_out_and_lists_them_beside_the_output(tmp_path, clf):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    bad_lines = _with_bad_lines(src)
    with pytest.raises(InputFileError, match="line 6: malformed JSON"):
        score_file(src, out, clf, chunk_size=7, progress=False)
    assert not out.exists()
    summary = score_file(src, out, clf, chunk_size=7, progress=False, on_error="skip")
    assert (summary.rows, summary.bad_rows) == (27, 4)
    assert "4 bad rows skipped" in str(summary)
    side = pd.read_csv(f"{out}.bad_rows.csv")
    assert side["line"].tolist() == bad_lines
    assert side["problem"].str.contains("JSON|int, not text|UTF-8").tolist() == [True] * 4
    kept = read_scored(out)["id"].astype(int).tolist()
    assert kept == [i for i in range(30) if i + 1 not in bad_lines]
    assert json.loads(out.with_name("out.jsonl.meta.json").read_text())["bad_rows"] == 4


def test_skip_run_interrupted_and_resumed_matches_an_uninterrupted_one(tmp_path, clf, monkeypatch):
    src = tmp_path / "in.jsonl"
    _with_bad_lines(src)
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    score_file(src, whole, clf, chunk_size=7, progress=False, on_error="skip")
    with monkeypatch.context() as m:
        _interrupt_predict_on(m, clf, call=3)
        with pytest.raises(KeyboardInterrupt):
            score_file(src, resumed, clf, chunk_size=7, progress=False, on_error="skip")
    summary = score_file(
        src, resumed, clf, chunk_size=7, progress=False, on_error="skip", resume=True
    )
    assert summary.resumed == 14 and summary.bad_rows == 4
    a, b = read_scored(resumed), read_scored(whole)
    assert a.drop(columns=SCORES).equals(b.drop(columns=SCORES))
    np.testing.assert_allclose(a[SCORES].to_numpy(), b[SCORES].to_numpy(), atol=1e-6)
    lists = [pd.read_csv(f"{p}.bad_rows.csv") for p in (whole, resumed)]
    assert lists[0].equals(lists[1])
