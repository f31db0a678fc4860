"""The `framescope` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import signal
import sys
from collections.abc import Sequence

from .errors import CorpusError, FramescopeError
from .interrupts import Terminated, sigterm_interrupts

log = logging.getLogger("framescope")

# exit codes of a command stopped by a signal: 128 + its number, as shells report them
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM
# OSErrors from the user's machine, not from a bug: one line and exit code 2
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", default=None, help="model folder (default: the bundled unrest-v1 model)"
    )


def _inference_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "int8", "fp16", "bf16"),
        default="auto",
        help="auto: fp32 on CPU, bf16 (or fp16) on CUDA; int8 is CPU-only and approximate",
    )
    p.add_argument(
        "--runtime",
        choices=("auto", "onnx", "torch"),
        default="auto",
        help="auto: ONNX Runtime on CPU (exported once, cached), PyTorch on CUDA",
    )


def _train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--base-model", default=None, help="preset (minilm-l6), local model folder or hub id"
    )
    p.add_argument("--finetune", choices=("lora", "full"), default=None)
    p.add_argument(
        "--adapter-dtype",
        choices=("float32", "float16"),
        default=None,
        help="storage of a LoRA adapter (float16: half the size)",
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--max-length", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)


def _train_config(args: argparse.Namespace):
    from .training import TrainConfig

    overrides = {
        "base_model": args.base_model,
        "finetune": args.finetune,
        "adapter_dtype": getattr(args, "adapter_dtype", None),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "seed": args.seed,
        "checkpoint_steps": getattr(args, "checkpoint_steps", None),
    }
    return TrainConfig(**{k: v for k, v in overrides.items() if v is not None})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framescope", description="Tag how political statements frame unrest."
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("predict", help="tag statements given as arguments or on stdin")
    p.add_argument("texts", nargs="*", help="statements (read from stdin, one a line, if none)")
    _model_arg(p)
    _inference_options(p)
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")

    p = sub.add_parser(
        "score", help="score a .csv/.jsonl/.jsonl.gz/.parquet file, or a folder of them"
    )
    p.add_argument("input", help="a table file, or a folder whose tables are scored one by one")
    p.add_argument(
        "-o", "--output", required=True, help="output file (a folder when the input is one)"
    )
    p.add_argument("--text-column", default="text")
    _model_arg(p)
    _inference_options(p)
    p.add_argument(
        "--batch-size", type=int, default=None, help="statements a batch (default: 16 CPU, 256 GPU)"
    )
    p.add_argument("--chunk-size", type=int, default=4096, help="rows read and written at a time")
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="ray: score a Parquet/JSONL file or folder on Ray Data into an output folder "
        "(needs framescope[ray])",
    )
    p.add_argument(
        "--ray-address", default=None, help="Ray cluster (default: $RAY_ADDRESS, else local)"
    )
    p.add_argument(
        "--actors", type=int, default=None, help="Ray actor pool size (default: GPUs, else CPUs)"
    )
    p.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="a bad row (malformed JSON, undecodable bytes, a non-text cell): stop with its "
        "line number (raise), or leave it out and list it in OUTPUT.bad_rows.csv (skip)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from its completed parts (and, for a folder, "
        "skip the files already scored)",
    )

    p = sub.add_parser("train", help="fine-tune a model on a corpus")
    p.add_argument("--corpus", required=True, help="corpus folder or .jsonl/.csv/.parquet file")
    p.add_argument("--output", required=True, help="model folder to write")
    _train_options(p)
    p.add_argument(
        "--checkpoint-steps",
        type=int,
        default=None,
        help="keep a checkpoint in OUTPUT.checkpoints every N optimizer steps and at each "
        "epoch's end (default 200; 0: none)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted training from its last checkpoint in OUTPUT.checkpoints",
    )
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: CUDA when present"
    )

    p = sub.add_parser("evaluate", help="per-label and overall scores beside the TF-IDF baseline")
    _model_arg(p)
    p.add_argument("--corpus", required=True)
    p.add_argument("--split", default="test", help="train, dev, test or all")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="write OUTPUT.json and OUTPUT.md (a path without extension)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser(
        "report", help="an HTML report: F1, PR curves, calibration, worst errors, with figures"
    )
    _model_arg(p)
    p.add_argument("--corpus", required=True)
    p.add_argument("--split", default="test", help="train, dev, test or all")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="report folder (new, empty or an earlier report, which is replaced)",
    )

    p = sub.add_parser("cv", help="k-fold cross-validation beside the TF-IDF baseline")
    p.add_argument("--corpus", required=True)
    p.add_argument("--folds", type=int, default=5)
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--group-by",
        default="event",
        help="field whose values never straddle folds (default: event)",
    )
    group.add_argument(
        "--fold-column",
        default=None,
        help="use the given folds in this column instead (e.g. split)",
    )
    p.add_argument("--codebook", default=None, help="codebook YAML (default: the one beside it)")
    p.add_argument("-o", "--output", default=None, help="write OUTPUT.json and OUTPUT.md")
    _train_options(p)

    p = sub.add_parser("validate", help="check a corpus; every problem with its line number")
    p.add_argument("path")
    p.add_argument("--codebook", default=None, help="codebook YAML (default: the one beside it)")

    p = sub.add_parser("extract", help="statements (quotes, reported speech) from articles")
    p.add_argument("input", help="articles .csv/.jsonl/.parquet (id, text) or a folder of .txt")
    p.add_argument("-o", "--output", required=True, help="statements table, one row each")

    p = sub.add_parser("score-articles", help="extract the statements of articles and tag them")
    p.add_argument("input", help="articles .csv/.jsonl/.parquet (id, text) or a folder of .txt")
    p.add_argument("-o", "--output", required=True, help="statements with labels and scores")
    _model_arg(p)

    p = sub.add_parser(
        "summarize", help="frame shares by speaker, outlet, date or event, with intervals"
    )
    p.add_argument("scored", help="a table written by framescope score")
    p.add_argument("-o", "--output", required=True, help="folder for shares.csv/.md and figures")
    p.add_argument(
        "--by", required=True, help="group column: speaker, outlet, date, event or any other"
    )
    p.add_argument(
        "--freq",
        type=str.upper,
        choices=("D", "W", "M", "Q", "Y"),
        default=None,
        help="period of a date column (default for --by date: M over 90+ days, else D)",
    )
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (1000)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval level (0.95)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (0)")
    return parser


def _cmd_predict(args: argparse.Namespace) -> int:
    from .classifier import FrameClassifier

    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise FramescopeError("no statements given (pass them as arguments or on stdin)")
    clf = FrameClassifier.load(
        args.model, device=args.device, precision=args.precision, runtime=args.runtime
    )
    probs = clf.predict_proba(texts)
    decided = clf.decide(probs)
    if args.json:
        for text, labels, row in zip(texts, decided, probs):
            print(
                json.dumps(
                    {
                        "text": text,
                        "labels": labels,
                        "scores": {n: round(float(v), 4) for n, v in zip(clf.labels, row)},
                        "codebook": clf.codebook,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    for text, labels, row in zip(texts, decided, probs):
        top = sorted(zip(clf.labels, row), key=lambda x: -x[1])[:3]
        print(text if len(text) <= 100 else text[:97] + "...")
        print(f"  labels: {', '.join(labels) if labels else '(none)'}")
        print("  top scores: " + ", ".join(f"{n} {v:.2f}" for n, v in top))
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        return _score_on_ray(args)
    from .scoring import score_file

    summary = score_file(
        args.input,
        args.output,
        args.model,
        progress=not args.quiet,
        resume=args.resume,
        on_error=args.on_error,
        **_engine_options(args),
    )
    print(summary)
    return 0


def _engine_options(args: argparse.Namespace) -> dict:
    """The `score` settings that both engines take."""
    return {
        "text_column": args.text_column,
        "batch_size": args.batch_size,
        "chunk_size": args.chunk_size,
        "device": args.device,
        "precision": args.precision,
        "runtime": args.runtime,
    }


def _score_on_ray(args: argparse.Namespace) -> int:
    from .ray_engine import score_with_ray

    if args.resume or args.on_error != "raise":
        raise FramescopeError("--resume and --on-error belong to the local engine, not to Ray")
    summary = score_with_ray(
        args.input,
        args.output,
        args.model,
        actors=args.actors,
        address=args.ray_address,
        quiet=args.quiet,
        **_engine_options(args),
    )
    print(summary)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .training import train

    config = _train_config(args)
    print("recipe: " + ", ".join(f"{k}={v}" for k, v in config.to_dict().items()), flush=True)
    clf = train(
        args.corpus,
        args.output,
        config,
        progress=not args.quiet,
        device=args.device,
        resume=args.resume,
    )
    metrics = clf.config["metrics"]
    line = f"saved {args.output}: dev macro-F1 {metrics['dev']['macro_f1']:.3f}"
    if "test" in metrics:
        line += (
            f", test macro-F1 {metrics['test']['macro_f1']:.3f} "
            f"(TF-IDF baseline {metrics['baseline_test']['macro_f1']:.3f})"
        )
    print(line + f", {clf.config['training_log']['seconds']:.0f} s")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate

    report = evaluate(args.model, args.corpus, split=args.split)
    print(report.to_json() if args.json else report.to_text(), end="\n" if args.json else "")
    if args.output:
        js, md = report.save(args.output)
        log.info("wrote %s and %s", js, md)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import build_report_data, write_report

    data = build_report_data(args.model, args.corpus, split=args.split)
    print(write_report(data, args.output))
    return 0


def _cmd_cv(args: argparse.Namespace) -> int:
    from .codebook import Codebook
    from .cv import cross_validate

    report = cross_validate(
        args.corpus,
        args.folds,
        group_by=None if args.fold_column else args.group_by,
        fold_column=args.fold_column,
        config=_train_config(args),
        codebook=Codebook.from_yaml(args.codebook) if args.codebook else None,
        progress=not args.quiet,
    )
    print(report.to_text(), end="")
    if args.output:
        js, md = report.save(args.output)
        log.info("wrote %s and %s", js, md)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .codebook import Codebook
    from .corpus import corpus_file, validate_corpus

    book = Codebook.from_yaml(args.path_codebook) if args.path_codebook else None
    problems = validate_corpus(args.path, book)
    where = corpus_file(args.path)  # a folder's problems are in its corpus.jsonl
    for problem in problems:
        print(f"{where}: {problem}")
    if problems:
        print(f"framescope: error: {len(problems)} problem(s) in {args.path}", file=sys.stderr)
        return 2
    print(f"{args.path}: OK")
    return 0


def _cmd_summarize(args: argparse.Namespace) -> int:
    from .summarize import SUMMARY_JSON, summarize

    out = summarize(
        args.scored,
        args.output,
        args.by,
        freq=args.freq,
        n_boot=args.bootstrap,
        confidence=args.confidence,
        seed=args.seed,
    )
    done = json.loads((out / SUMMARY_JSON).read_text(encoding="utf-8"))
    print(
        f"wrote {', '.join(done['files'])} to {out}: {done['rows']:,} statements in "
        f"{done['groups']} groups by {done['by']}"
        + (f" (period {done['freq']})" if done["freq"] else "")
        + f", {len(done['labels'])} frames"
    )
    return 0


def _cmd_extract(args: argparse.Namespace) -> int:
    from .articles import extract_file

    statements = extract_file(args.input, args.output)
    print(f"extracted {len(statements)} statements -> {args.output}")
    return 0


def _cmd_score_articles(args: argparse.Namespace) -> int:
    from .articles import score_articles, write_table
    from .tables import table_format

    table_format(args.output)  # an unsupported output format fails before any work
    scored = score_articles(args.input, args.model)
    write_table(scored, args.output)
    print(f"scored {len(scored)} statements -> {args.output}")
    return 0


def _quiet_libraries(quiet: bool) -> None:
    """Weight-loading bars are noise on every call; everything else goes with --quiet."""
    import warnings

    import transformers

    # deprecation notices from the libraries are for developers, not for users of the CLI
    warnings.filterwarnings("ignore", category=FutureWarning)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    if quiet:
        import datasets

        datasets.disable_progress_bars()
        datasets.utils.logging.set_verbosity_error()


COMMANDS = {
    "predict": _cmd_predict,
    "score": _cmd_score,
    "train": _cmd_train,
    "evaluate": _cmd_evaluate,
    "report": _cmd_report,
    "validate": _cmd_validate,
    "extract": _cmd_extract,
    "score-articles": _cmd_score_articles,
    "cv": _cmd_cv,
    "summarize": _cmd_summarize,
}


def _interrupted(args: argparse.Namespace, exc: KeyboardInterrupt) -> int:
    """One line for a command stopped by Ctrl-C (exit 130) or SIGTERM (exit 143)."""
    how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
    resumable = args.command == "train" or (
        args.command == "score" and getattr(args, "engine", "local") == "local"
    )
    hint = "; run again with --resume to continue" if resumable else ""
    print(f"framescope: {how}{hint}", file=sys.stderr)
    return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        args.path_codebook = args.codebook
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with sigterm_interrupts():
            _quiet_libraries(args.quiet)
            return COMMANDS[args.command](args)
    except CorpusError as exc:
        for problem in exc.problems:
            print(f"{exc.source}: {problem}", file=sys.stderr)
        print(f"framescope: error: the corpus has {len(exc.problems)} problem(s)", file=sys.stderr)
        return 2
    except FramescopeError as exc:
        print(f"framescope: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        return _interrupted(args, exc)
    except OSError as exc:
        if exc.errno not in DISK_ERRNOS:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"framescope: error: {where}{(exc.strerror or str(exc)).lower()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
