"""Interruptions and faults: Ctrl-C and SIGTERM, a full disk, an output that cannot be
written, and a training stopped mid-epoch. Each ends with one line and leaves a state that
--resume continues to the result of an uninterrupted run."""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import framescope.cli as cli
from framescope import FrameClassifier, load_corpus, score_file, train
from framescope.checkpoints import checkpoint_dir
from framescope.errors import FramescopeError, OutputError
from framescope.modeling import FrameModel
from framescope.resumable import work_dir

from .conftest import read_scored, start_scoring, tiny_config, tiny_records, write_table

WORDS = sorted({w for r in tiny_records() for w in r["text"].split()})
TEXTS = [r["text"] for r in tiny_records()]
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture(scope="module")
def clf(tiny_model_dir) -> FrameClassifier:
    return FrameClassifier.load(tiny_model_dir, device="cpu")


def _table(path: Path, n: int = 60) -> None:
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(1, 9))) for _ in range(n)]
    write_table(pd.DataFrame({"id": range(n), "text": texts}), path)


def _assert_same_rows(got: Path, expected: Path) -> None:
    a, b = read_scored(got), read_scored(expected)
    scores = [c for c in b.columns if c.startswith("score_")]
    assert list(a.columns) == list(b.columns)
    assert a.drop(columns=scores).equals(b.drop(columns=scores))
    np.testing.assert_allclose(a[scores].to_numpy(), b[scores].to_numpy(), atol=1e-6)


def _assert_only_complete_parts(out: Path) -> list[str]:
    """The work folder holds the manifest and parts 0..n-1, and no temporary file."""
    names = sorted(p.name for p in work_dir(out).iterdir())
    parts = [n for n in names if n.startswith("part-")]
    assert names == ["manifest.json", *parts]
    assert parts == [f"part-{i:06d}{out.suffix}" for i in range(len(parts))]
    return parts


# ---------------------------------------------------------------------- signals during score
SIGNALS = {
    "SIGINT": (signal.SIGINT, 130, "framescope: interrupted; run again with --resume to continue"),
    "SIGTERM": (
        signal.SIGTERM,
        143,
        "framescope: terminated (SIGTERM); run again with --resume to continue",
    ),
}


@pytest.mark.parametrize("name", SIGNALS)
def test_a_signal_during_score_stops_cleanly_and_resume_completes(
    tmp_path, tiny_model_dir, clf, capsys, name
):
    sig, code, message = SIGNALS[name]
    src, out, clean = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "clean.jsonl"
    _table(src, n=700)
    argv = ["score", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--chunk-size", "7"]
    proc = start_scoring(
        argv,
        out,
        stderr=subprocess.PIPE,
        text=True,
        # a shell may start background jobs with Ctrl-C ignored; Python then keeps ignoring it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == code
    assert err.strip().splitlines()[-1] == message and "Traceback" not in err
    assert not out.exists() and not Path(f"{out}.meta.json").exists()
    assert 1 <= len(_assert_only_complete_parts(out)) < 100

    assert cli.main(["--quiet", *argv, "--resume"]) == 0
    assert "resumed" in capsys.readouterr().out
    score_file(src, clean, clf, chunk_size=7, progress=False)
    _assert_same_rows(out, clean)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["in.jsonl", "out.jsonl", "out.jsonl.meta.json", "clean.jsonl", "clean.jsonl.meta.json"]
    )


@pytest.fixture
def outer_sigterm_handler():
    """A SIGTERM handler of the test's own, so that a SIGTERM that main() failed to take
    over is recorded instead of ending the test run; the original comes back after."""
    caught: list[int] = []
    original = signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGTERM, original)


@pytest.mark.parametrize(
    ("how", "command", "code", "line"),
    [
        ("sigterm", "score", 143, SIGNALS["SIGTERM"][2]),
        ("sigterm", "validate", 143, "framescope: terminated (SIGTERM)"),
        ("ctrl-c", "train", 130, SIGNALS["SIGINT"][2]),
        ("ctrl-c", "evaluate", 130, "framescope: interrupted"),
    ],
)
def test_main_turns_sigterm_into_a_clean_stop_and_restores_the_handler(
    monkeypatch, capsys, outer_sigterm_handler, how, command, code, line
):
    cleaned: list[str] = []

    def stopped(args):
        try:
            if how == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # main's handler raises here
            raise KeyboardInterrupt
        finally:
            cleaned.append(command)

    monkeypatch.setitem(cli.COMMANDS, command, stopped)
    monkeypatch.setattr(cli, "_quiet_libraries", lambda quiet: None)
    before = signal.getsignal(signal.SIGTERM)
    argv = {
        "score": ["score", "in.csv", "-o", "out.csv"],
        "validate": ["validate", "c.jsonl"],
        "train": ["train", "--corpus", "c.jsonl", "--output", "m"],
        "evaluate": ["evaluate", "--corpus", "c.jsonl"],
    }[command]
    assert cli.main(["--quiet", *argv]) == code
    assert cleaned == [command]  # finally-blocks ran
    assert capsys.readouterr().err.strip().splitlines() == [line]
    assert signal.getsignal(signal.SIGTERM) is before and outer_sigterm_handler == []


# ---------------------------------------------------------------------- a full disk
def _fail_part(monkeypatch, out):
    import framescope.resumable as resumable

    real, calls = resumable.write_frame, []

    def write(handle, df, *args, **kwargs):
        calls.append(len(df))
        if len(calls) == 3:
            handle.write(b'{"id": 14, "te')  # half a part, then the disk is full
            raise ENOSPC
        real(handle, df, *args, **kwargs)

    monkeypatch.setattr(resumable, "write_frame", write)


def _fail_join(monkeypatch, out):
    import framescope.resumable as resumable

    def join(sources, handle, fmt):
        handle.write(b'{"id": 0}\n')
        raise ENOSPC

    monkeypatch.setattr(resumable, "concat_files", join)


def _fail_meta(monkeypatch, out):
    real = Path.write_text

    def write_text(self, data, *args, **kwargs):
        if '"thresholds"' in data:  # the sidecar <output>.meta.json, wherever it is staged
            raise ENOSPC
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)


def _fail_rename(monkeypatch, out):
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst) == out:  # the last step, after the sidecars were put in place
            raise ENOSPC
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize(
    ("fault", "parts"),
    [(_fail_part, 2), (_fail_join, 9), (_fail_meta, 9), (_fail_rename, 9)],
    ids=["part", "join", "meta", "rename"],
)
def test_a_full_disk_fails_in_one_line_and_resume_finishes_after_room_is_made(
    tmp_path, tiny_model_dir, clf, monkeypatch, capsys, fault, parts
):
    src, out, clean = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "clean.jsonl"
    _table(src)
    argv = ["--quiet", "score", str(src), "-o", str(out), "--model", str(tiny_model_dir)]
    argv += ["--chunk-size", "7"]
    with monkeypatch.context() as m:
        fault(m, out)
        assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"framescope: error: cannot write {out}: no space left on device;")
    assert f"{parts} completed part(s) kept in {work_dir(out)}" in err[0] and "--resume" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.jsonl.partial", "in.jsonl"]
    assert len(_assert_only_complete_parts(out)) == parts

    assert cli.main([*argv, "--resume"]) == 0
    score_file(src, clean, clf, chunk_size=7, progress=False)
    _assert_same_rows(out, clean)
    assert json.loads(Path(f"{out}.meta.json").read_text())["rows"] == 60
    assert not work_dir(out).exists()


def test_a_full_disk_before_any_part_leaves_nothing(tmp_path, clf, monkeypatch):
    import framescope.resumable as resumable

    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    _table(src)

    def full(*args, **kwargs):
        raise ENOSPC

    monkeypatch.setattr(resumable, "write_frame", full)
    with pytest.raises(OutputError, match=f"^cannot write {out}: no space left on device$"):
        score_file(src, out, clf, chunk_size=7, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# ---------------------------------------------------------------------- unwritable outputs
def _permissions_enforced(folder: Path) -> bool:
    """False for root (or a file system) that ignores a folder's missing write permission."""
    try:
        (folder / "probe").touch()
    except PermissionError:
        return True
    (folder / "probe").unlink()
    return False


def test_a_read_only_output_folder_fails_in_one_line(tmp_path, tiny_model_dir, capsys):
    src, folder = tmp_path / "in.jsonl", tmp_path / "locked"
    _table(src)
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if not _permissions_enforced(folder):  # root, unless it gave up CAP_DAC_OVERRIDE
            pytest.skip(f"permissions are not enforced for this user (uid {os.geteuid()})")
        out = folder / "out.jsonl"
        argv = ["--quiet", "score", str(src), "-o", str(out), "--model", str(tiny_model_dir)]
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"framescope: error: cannot write {out}: permission denied"]
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_permission_denied_is_one_line_even_for_root(tmp_path, tiny_model_dir, monkeypatch, capsys):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _table(src)
    real = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self == work_dir(out):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    argv = ["--quiet", "score", str(src), "-o", str(out), "--model", str(tiny_model_dir)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"framescope: error: cannot write {out}: permission denied"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_an_output_under_a_file_fails_and_a_missing_parent_is_made(tmp_path, clf, capsys):
    src = tmp_path / "in.jsonl"
    _table(src, n=20)
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    out = tmp_path / "notes.txt" / "out.jsonl"
    with pytest.raises(OutputError, match=f"^cannot write {out}: not a directory$"):
        score_file(src, out, clf, progress=False)
    folder = tmp_path / "in-folder"
    folder.mkdir()
    _table(folder / "a.csv", n=5)
    with pytest.raises(OutputError, match="not a directory"):
        score_file(folder, tmp_path / "notes.txt" / "scored", clf, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-folder", "in.jsonl", "notes.txt"]

    made = tmp_path / "new" / "deeper" / "out.jsonl"  # a missing parent is created, as before
    assert score_file(src, made, clf, progress=False).rows == 20 and made.is_file()


# ---------------------------------------------------------------------- training
CONFIG = dict(epochs=4, head_lr=3e-2, checkpoint_steps=2)  # 3 steps an epoch; best: epoch 4


@pytest.fixture(scope="module")
def corpus(tiny_codebook):
    return load_corpus(tiny_records(), tiny_codebook)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_encoder, corpus) -> FrameClassifier:
    out = tmp_path_factory.mktemp("uninterrupted") / "m"
    clf = train(corpus, out, tiny_config(tiny_encoder, **CONFIG), progress=False, device="cpu")
    assert sorted(p.name for p in out.parent.iterdir()) == ["m"]  # checkpoints removed
    return clf


def _stop_training_step(monkeypatch, step: int) -> None:
    """Ctrl-C in the middle of optimizer step ``step`` (in its forward pass)."""
    real, calls = FrameModel.forward, []

    @functools.wraps(real)  # the Trainer reads forward's signature
    def forward(self, *args, **kwargs):
        if self.training:
            calls.append(1)
            if len(calls) == step:
                raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FrameModel, "forward", forward)


def _disk_full_at_checkpoint(monkeypatch, step: int) -> None:
    """safetensors' own error for a full disk while the checkpoint of ``step`` is written."""
    from safetensors import SafetensorError

    import framescope.checkpoints as checkpoints

    real = checkpoints.save_file

    def save_file(tensors, filename, *args, **kwargs):
        if f"resume-{step:06d}" in filename and filename.endswith("resume.safetensors"):
            raise SafetensorError("Error while serializing: I/O error: No space left (os error 28)")
        return real(tensors, filename, *args, **kwargs)

    monkeypatch.setattr(checkpoints, "save_file", save_file)


@pytest.mark.parametrize(
    ("fault", "latest"),
    [
        (lambda m: _stop_training_step(m, 12), "resume-000010"),  # 1 step into epoch 4
        (lambda m: _stop_training_step(m, 10), "resume-000009"),  # at the end of epoch 3
        (lambda m: _disk_full_at_checkpoint(m, 9), "resume-000008"),  # 2 steps into epoch 3
    ],
    ids=["ctrl-c-mid-epoch", "ctrl-c-after-an-epoch", "disk-full-writing-a-checkpoint"],
)
def test_interrupted_training_resumes_to_the_same_model(
    tmp_path, tiny_encoder, corpus, uninterrupted, monkeypatch, fault, latest
):
    out = tmp_path / "m"
    config = tiny_config(tiny_encoder, **CONFIG)
    with monkeypatch.context() as m:
        fault(m)
        with pytest.raises((KeyboardInterrupt, OutputError)) as stopped:
            train(corpus, out, config, progress=False, device="cpu")
    if stopped.type is OutputError:
        message = f"cannot write {checkpoint_dir(out)}: no space left on device"
        assert str(stopped.value) == message
    assert not out.exists()
    folder = checkpoint_dir(out)
    assert folder == tmp_path / "m.checkpoints"
    assert sorted(p.name for p in folder.glob("resume-*")) == [latest]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no half-written point
    assert {p.suffix for p in folder.rglob("*") if p.is_file()} == {".json", ".safetensors"}

    resumed = train(corpus, out, config, progress=False, device="cpu", resume=True)
    np.testing.assert_array_equal(resumed.predict_proba(TEXTS), uninterrupted.predict_proba(TEXTS))
    assert resumed.config["metrics"] == uninterrupted.config["metrics"]
    for key in ("history", "epochs_run", "best_dev_macro_f1_at_0.5"):
        assert resumed.config["training_log"][key] == uninterrupted.config["training_log"][key]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # checkpoints removed
    saved = FrameClassifier.load(out, device="cpu", runtime="torch")
    np.testing.assert_allclose(saved.predict_proba(TEXTS), resumed.predict_proba(TEXTS), atol=1e-6)


def test_resume_refuses_another_corpus_or_config_and_a_plain_run_refuses_checkpoints(
    tmp_path, tiny_encoder, tiny_codebook, corpus, monkeypatch
):
    out = tmp_path / "m"
    config = tiny_config(tiny_encoder, **CONFIG)
    with monkeypatch.context() as m:
        _stop_training_step(m, 5)
        with pytest.raises(KeyboardInterrupt):
            train(corpus, out, config, progress=False, device="cpu")
    folder = checkpoint_dir(out)
    kept = sorted(p.relative_to(folder) for p in folder.rglob("*"))

    with pytest.raises(FramescopeError, match=r"epochs \(4 then, 5 now\)") as err:
        train(corpus, out, tiny_config(tiny_encoder, **{**CONFIG, "epochs": 5}), resume=True)
    assert str(folder) in str(err.value) and "delete the folder" in str(err.value)
    other = load_corpus(tiny_records()[1:], tiny_codebook)
    with pytest.raises(FramescopeError, match="different corpus_hash"):
        train(other, out, config, progress=False, resume=True)
    with pytest.raises(FramescopeError, match="--resume") as err:
        train(corpus, out, config, progress=False)
    assert str(folder) in str(err.value)
    with pytest.raises(FramescopeError, match="needs an output folder"):
        train(corpus, None, config, progress=False, resume=True)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == kept  # left alone


def test_cli_train_resume_after_sigterm(
    tmp_path, tiny_encoder, monkeypatch, capsys, outer_sigterm_handler
):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in tiny_records()))
    out = tmp_path / "m"
    argv = ["--quiet", "train", "--corpus", str(corpus), "--output", str(out)]
    argv += ["--base-model", str(tiny_encoder), "--epochs", "2", "--batch-size", "4"]
    argv += ["--checkpoint-steps", "2"]
    real, calls = FrameModel.forward, []

    @functools.wraps(real)
    def forward(self, *args, **kwargs):
        if self.training:
            calls.append(1)
            if len(calls) == 5:
                os.kill(os.getpid(), signal.SIGTERM)
        return real(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(FrameModel, "forward", forward)
        assert cli.main(argv) == 143
    assert outer_sigterm_handler == []
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "framescope: terminated (SIGTERM); run again with --resume to continue"
    assert not out.exists() and (tmp_path / "m.checkpoints" / "resume-000004").is_dir()
    assert cli.main(argv) == 2
    assert "--resume" in capsys.readouterr().err
    assert cli.main([*argv, "--resume"]) == 0
    assert f"saved {out}" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "m"]


def test_checkpoints_live_beside_the_model_folder(tmp_path, monkeypatch):
    (tmp_path / "m").mkdir()
    monkeypatch.chdir(tmp_path / "m")
    assert checkpoint_dir(".") == tmp_path / "m.checkpoints"  # not inside "."
    assert checkpoint_dir(tmp_path / "m" / "") == tmp_path / "m.checkpoints"


def test_a_sigterm_swallowed_by_a_finalizer_is_raised_again_at_the_next_check(monkeypatch):
    """Python loses an exception raised inside __del__ ("Exception ignored"); a SIGTERM whose
    handler runs there must still stop the command at the next safe point."""
    from framescope.interrupts import Terminated, check, sigterm_interrupts

    lost: list[type] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda hook: lost.append(hook.exc_type))

    class SignalsWhileFinalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100_000):  # the handler runs here, inside the finalizer
                pass

    before = signal.getsignal(signal.SIGTERM)
    with sigterm_interrupts():
        SignalsWhileFinalized()
        assert lost == [Terminated]  # the first raise was swallowed ...
        with pytest.raises(Terminated):
            check()  # ... and the check raises it again
    check()  # outside the block nothing is pending
    assert signal.getsignal(signal.SIGTERM) == before
