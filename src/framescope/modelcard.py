"""The model card (README.md in a model folder), written from framescope.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _table(labels: list[str], systems: dict[str, dict[str, Any]]) -> str:
    names = list(systems)
    head = "| label | support | " + " | ".join(f"{n} F1" for n in names) + " |"
    lines = [head, "|---|---|" + "---|" * len(names)]
    first = systems[names[0]]
    for label in labels:
        cells = [f"{systems[n]['per_label'][label]['f1']:.3f}" for n in names]
        support = first["per_label"][label]["support"]
        lines.append(f"| {label} | {support} | " + " | ".join(cells) + " |")
    for key in ("macro_f1", "micro_f1", "exact_match"):
        cells = [f"**{systems[n][key]:.3f}**" for n in names]
        lines.append(f"| {key.replace('_', '-')} | {first['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _storage_lines(config: dict[str, Any]) -> list[str]:
    if config.get("adapter_dtype") != "float16":
        return []
    line = "- Adapter weights stored in float16 (half the size) and cast to float32 on load."
    check = config.get("training_log", {}).get("float16_storage_check")
    if check:
        parts = [
            f"{split}: {c['label_sets_changed']} of {c['statements']} label sets changed, "
            f"largest score change {c['max_abs_score_difference']:.4f}"
            for split, c in check.items()
        ]
        line += " Against the float32 adapter: " + "; ".join(parts) + "."
    return [line]


def _calibration_lines(config: dict[str, Any]) -> list[str]:
    record = config.get("calibration")
    if not record:
        return []
    kept = record.get("method") == "temperature"
    header = "temperature" if kept else "fitted temperature (not applied)"
    rows = [f"| label | {header} | ECE before | ECE after |", "|---|---|---|---|"]
    for name, t in record["temperatures"].items():
        rows.append(
            f"| {name} | {t:.2f} | {record['ece_before'][name]:.3f} | "
            f"{record['ece_after'][name]:.3f} |"
        )
    before = sum(record["ece_before"].values()) / len(record["ece_before"])
    after = sum(record["ece_after"].values()) / len(record["ece_after"])
    if not kept:
        return [
            "## Calibration",
            "",
            f"Temperature scaling was fitted on the {record['fitted_on']} split "
            f"({record['statements']} statements) and not kept: it changed mean expected "
            f"calibration error from {before:.3f} to {after:.3f} there, less than the "
            f"{record.get('min_gain') or 0.1:.0%} reduction required. Scores are the model's raw "
            "sigmoid scores.",
            "",
            *rows,
            "",
        ]
    return [
        "## Calibration",
        "",
        f"Scores are temperature-scaled per label, fitted on the {record['fitted_on']} split "
        f"({record['statements']} statements): mean expected calibration error {before:.3f} "
        f"before, {after:.3f} after (10 bins, on the statements it was fitted on). Thresholds "
        "are stored on the calibrated scale, so labels are the same as without it; "
        "`predict_proba(texts, calibrated=False)` gives the raw scores.",
        "",
        *rows,
        "",
    ]


def render_model_card(config: dict[str, Any]) -> str:
    labels = config["labels"]
    metrics = config.get("metrics", {})
    training = config.get("training", {})
    base = config.get("base_model", {})
    book = config.get("codebook", {})
    log = config.get("training_log", {})
    lora = training.get("finetune") == "lora"
    encoder_lr = training.get("lora_lr") if lora else training.get("encoder_lr")
    out = [
        f"# framescope model: {book.get('name', '?')} {book.get('version', '')}".rstrip(),
        "",
        "A multi-label classifier of how a statement frames political unrest, trained with "
        "framescope. Load it with `FrameClassifier.load(<this folder>)`.",
        "",
        "## Model",
        "",
        f"- Codebook: `{book.get('name')}` version `{book.get('version')}`; labels: "
        + ", ".join(f"`{n}`" for n in labels),
        f"- Base encoder: `{base.get('hub_id', base.get('name'))}`"
        + (
            f" (installed from the registry package `{base['package']}`, sha256 "
            f"`{base.get('sha256', '')[:16]}…`)"
            if "package" in base
            else ""
        ),
        f"- Stored as: {config.get('encoder_format')} "
        + (
            "(a LoRA adapter over the base; the base weights are not in this folder)"
            if config.get("encoder_format") == "peft-lora"
            else "(full encoder weights)"
        ),
        *_storage_lines(config),
        f"- Pooling: {config.get('pooling')}; linear head over sigmoid outputs; max length "
        f"{config.get('max_length')} tokens (a longer text is scored in overlapping windows "
        "of this length, each label's score the highest over them).",
        f"- Decision rule: per-label thresholds tuned on dev; min_labels = "
        f"{config.get('min_labels', 0)} (0: no label is a valid answer).",
        f"- Corpus sha256: `{config.get('corpus_hash', '')}`",
        "",
        "## Training",
        "",
        f"Fine-tuning: {training.get('finetune')}, {training.get('epochs')} epochs at most with "
        f"early stopping on dev macro-F1 (patience {training.get('early_stopping_patience')}), "
        f"batch {training.get('batch_size')}, encoder learning rate "
        f"{encoder_lr}, "
        f"head learning rate {training.get('head_lr')}, linear schedule with "
        f"{training.get('warmup_ratio')} warm-up, BCE with positive-class weights (neg/pos, "
        f"capped at {training.get('pos_weight_cap')}), seed {training.get('seed')}.",
        "",
        f"Ran {log.get('epochs_run')} epochs in {log.get('seconds')} s on "
        f"{log.get('device')} ({log.get('torch_threads')} threads). The whole configuration is in "
        "`framescope.json`.",
        "",
    ]
    sizes = metrics.get("split_sizes", {})
    if "test" in metrics:
        out += [
            "## Evaluation",
            "",
            f"Held-out test split: {sizes.get('test', '?')} statements from events that appear in "
            "neither train nor dev. The TF-IDF baseline (word 1-2 grams, one-vs-rest logistic "
            "regression, thresholds tuned on dev the same way) was trained on the same train "
            "split.",
            "",
            _table(
                labels, {"framescope": metrics["test"], "tfidf-logreg": metrics["baseline_test"]}
            ),
            "",
            f"Dev ({sizes.get('dev', '?')} statements; used for early stopping and thresholds): "
            f"macro-F1 {metrics['dev']['macro_f1']:.3f}, "
            f"micro-F1 {metrics['dev']['micro_f1']:.3f}.",
            "",
        ]
    out += _calibration_lines(config)
    comparison = config.get("comparison")
    if comparison:
        out += ["## Adapter versus full fine-tune", "", comparison.strip(), ""]
    for title, text in config.get("card_sections", {}).items():
        out += [f"## {title}", "", str(text).strip(), ""]
    out += [
        "## Limits",
        "",
        "- Trained on statements authored for this project (written for speaker roles, not "
        "collected from real sources); scores on real statements will be lower than the "
        "table above, which measures held-out *authored* events.",
        "- English only. Statements longer than the max length are scored in overlapping "
        "windows, a label's score the highest over them; the thresholds were tuned on single "
        "statements, so a long text tends to get more labels than any one of its passages.",
        "- The test split is small: per-label F1 on a few dozen positives moves by several "
        "points with a handful of statements.",
        "- Frames are judged from the statement alone; context (who the speaker is, what was "
        "said before) that a human coder would use is not available to the model.",
        "- Use it to measure framing at scale with a validation sample coded by hand, not to "
        "judge individual speakers.",
        "",
    ]
    return "\n".join(out)


def write_model_card(path: str | Path, config: dict[str, Any]) -> Path:
    target = Path(path) / "README.md"
    target.write_text(render_model_card(config), encoding="utf-8")
    return target
