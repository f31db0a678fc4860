"""Fine-tuning with transformers' Trainer: weighted BCE, two learning rates, early stopping on
dev macro-F1, fixed seeds, and per-label thresholds tuned on dev."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasets
import numpy as np
import torch
from scipy.special import expit

from .baseline import TfidfBaseline
from .calibration import calibrate
from .classifier import FrameClassifier
from .codebook import Codebook
from .corpus import CorpusSource, as_corpus, corpus_metadata
from .encoders import DEFAULT_BASE, base_model_record, default_encoder_lr, resolve_base_model
from .errors import FramescopeError
from .fsutil import replacing_directory
from .metrics import MultilabelFrameMetric, multilabel_scores
from .model_folder import BASELINE_DIR
from .modeling import FrameModel
from .resumable import os_error, write_error
from .thresholds import apply_thresholds, tune_thresholds

if TYPE_CHECKING:
    from .checkpoints import CheckpointStore

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Every setting of a training run; saved whole in framescope.json.

    ``finetune="full"`` (the default) updates every encoder weight; ``finetune="lora"``
    trains a LoRA adapter (rank ``lora_r``) on all attention and feed-forward projections
    plus the head, so the saved model is a few MB over the base package. Full fine-tuning
    measured better (GVFC 5-fold macro-F1 0.824 vs 0.807; unrest-v1 test 0.856 vs 0.851);
    LoRA is for small model folders, such as the committed default model.

    ``encoder_lr=None`` (the default) takes the base preset's rate: 1e-4, or 5e-5 for the
    110M-parameter ``mpnet-base``, which measured better at the lower rate on GVFC
    (docs/benchmarks.md). The resolved value is what gets saved.

    ``checkpoint_steps``: when training into a folder, a checkpoint to resume from is kept
    beside it every so many optimizer steps and at the end of every epoch (0: none); it
    does not change the result (docs/training.md, "Resuming an interrupted training").
    """

    base_model: str = DEFAULT_BASE
    finetune: str = "full"
    pooling: str = "mean"
    max_length: int = 256
    batch_size: int = 16
    epochs: int = 12
    encoder_lr: float | None = None
    lora_lr: float = 1e-3
    head_lr: float = 2e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    dropout: float = 0.1
    pos_weight_cap: float = 10.0
    early_stopping_patience: int = 3
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    adapter_dtype: str = "float32"
    calibration: str = "temperature"
    seed: int = 42
    checkpoint_steps: int = 200

    def __post_init__(self) -> None:
        if self.checkpoint_steps < 0:
            raise ValueError(f"checkpoint_steps must be 0 or more, not {self.checkpoint_steps}")
        if self.encoder_lr is None:
            self.encoder_lr = default_encoder_lr(self.base_model)
        if self.finetune not in ("lora", "full"):
            raise ValueError(f"finetune must be 'lora' or 'full', not {self.finetune!r}")
        if self.calibration not in ("temperature", "none"):
            raise ValueError(
                f"calibration must be 'temperature' or 'none', not {self.calibration!r}"
            )
        if self.adapter_dtype not in ("float32", "float16"):
            raise ValueError(
                f"adapter_dtype must be 'float32' or 'float16', not {self.adapter_dtype!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _multi_hot(rows: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {name: j for j, name in enumerate(labels)}
    y = np.zeros((len(rows), len(labels)), dtype=np.int8)
    for i, row in enumerate(rows):
        for name in row:
            y[i, index[name]] = 1
    return y


def label_matrix(ds: datasets.Dataset, labels: list[str]) -> np.ndarray:
    """The gold labels of a split as an (n, len(labels)) 0/1 matrix."""
    return _multi_hot(ds["labels"], labels)


def positive_weights(y: np.ndarray, cap: float) -> np.ndarray:
    """neg/pos per label, clipped to [1, cap]; a label with no positives gets 1."""
    pos = y.sum(0).astype(np.float64)
    neg = len(y) - pos
    weights = np.where(pos > 0, neg / np.maximum(pos, 1), 1.0)
    return np.clip(weights, 1.0, cap).astype(np.float32)


def weighted_bce_loss(pos_weight: torch.Tensor):
    """The Trainer's ``compute_loss_func``: BCE on logits with per-label positive weights
    (mean over statements and labels)."""

    def loss_fn(outputs: Any, targets: torch.Tensor, num_items_in_batch: Any = None):
        logits = outputs["logits"]
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits, targets.to(logits.dtype), pos_weight=pos_weight.to(logits.device)
        )

    return loss_fn


def _build_encoder(config: TrainConfig) -> tuple[torch.nn.Module, Any]:
    from transformers import AutoModel, AutoTokenizer

    path = resolve_base_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    encoder = AutoModel.from_pretrained(path, trust_remote_code=False)
    if config.finetune == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            # attention and feed-forward projections of every layer (BERT and MPNet names)
            target_modules=r".*encoder\.layer\.\d+\..*\.(query|key|value|q|k|v|o|dense)$",
            bias="none",
        )
        encoder = get_peft_model(encoder, lora)
    return encoder, tokenizer


def _optimizer(model: FrameModel, config: TrainConfig) -> torch.optim.Optimizer:
    encoder_lr = config.lora_lr if config.finetune == "lora" else config.encoder_lr
    enc = [p for p in model.encoder.parameters() if p.requires_grad]
    head = list(model.head.parameters())
    return torch.optim.AdamW(
        [
            {"params": enc, "lr": encoder_lr, "weight_decay": config.weight_decay},
            {"params": head, "lr": config.head_lr, "weight_decay": 0.0},
        ]
    )


def _tokenize(ds: datasets.Dataset, tokenizer: Any, labels: list[str], max_length: int):
    y = label_matrix(ds, labels).astype(np.float32)
    enc = ds.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=ds.column_names,
        desc="tokenizing",
    )
    return enc.add_column("labels", [row.tolist() for row in y])


def _trains_on_cpu(device: str) -> bool:
    if device not in ("auto", "cpu", "cuda"):
        raise FramescopeError(f"training device must be auto, cpu or cuda, not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise FramescopeError("device='cuda' asked for, but PyTorch sees no CUDA device")
    return device == "cpu" or not torch.cuda.is_available()


def train(
    corpus: CorpusSource | datasets.DatasetDict,
    output_dir: str | Path | None = None,
    config: TrainConfig | None = None,
    *,
    codebook: Codebook | None = None,
    progress: bool = True,
    device: str = "auto",
    resume: bool = False,
) -> FrameClassifier:
    """Fine-tune a classifier on the corpus's train split, select and calibrate it on dev,
    and evaluate it (and the TF-IDF baseline) on test.

    ``device``: ``auto`` (the first CUDA device when present, else the CPU), ``cpu`` or
    ``cuda``. Results are reproducible on the CPU; on a GPU, kernels can differ in the last
    bits from run to run.

    Returns the FrameClassifier; with ``output_dir`` it is also saved there, with the
    baseline and a model card. Same seed and corpus give the same metrics on CPU.

    With ``output_dir``, checkpoints are kept in ``<output_dir>.checkpoints`` beside it
    while training runs (every ``config.checkpoint_steps`` optimizer steps and at each
    epoch's end) and removed once the model is saved. After an interruption,
    ``resume=True`` continues from the last one, to the same model as an uninterrupted run
    (on a CPU); the corpus and settings must be the same. Without it, an interrupted run's
    checkpoints are an error.
    """
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        TrainingArguments,
        set_seed,
    )

    from .checkpoints import CheckpointStore, ResumableTrainer

    config = config or TrainConfig()
    on_cpu = _trains_on_cpu(device)
    checkpointing = output_dir is not None and config.checkpoint_steps > 0
    if resume and not checkpointing:
        raise FramescopeError("resume needs an output folder and checkpoint_steps above 0")
    if output_dir is not None:
        _check_output(Path(output_dir))
    dsd = as_corpus(corpus, codebook)
    meta = corpus_metadata(dsd)
    labels: list[str] = list(meta["labels"])
    min_labels = int(meta.get("min_labels", 0))
    for split in ("train", "dev"):
        if split not in dsd or len(dsd[split]) == 0:
            raise FramescopeError(f"the corpus has no {split!r} statements; training needs both")
    y_train = label_matrix(dsd["train"], labels)
    missing = [n for j, n in enumerate(labels) if y_train[:, j].sum() == 0]
    if missing:
        log.warning("labels with no training positives: %s", ", ".join(missing))
    store = None
    if checkpointing:
        run = {k: v for k, v in config.to_dict().items() if k != "checkpoint_steps"}
        run |= {"labels": labels, "corpus_hash": meta["corpus_hash"]}
        store = CheckpointStore.open(output_dir, run, resume=resume)

    set_seed(config.seed)
    started = time.perf_counter()
    encoder, tokenizer = _build_encoder(config)
    model = FrameModel(encoder, len(labels), pooling=config.pooling, dropout=config.dropout)
    train_ds = _tokenize(dsd["train"], tokenizer, labels, config.max_length)
    dev_ds = _tokenize(dsd["dev"], tokenizer, labels, config.max_length)
    pos_weight = torch.tensor(positive_weights(y_train, config.pos_weight_cap))

    loss_fn = weighted_bce_loss(pos_weight)

    def compute_metrics(pred: Any) -> dict[str, float]:
        probs = 1.0 / (1.0 + np.exp(-np.asarray(pred.predictions)))
        decided = apply_thresholds(probs, [0.5] * len(labels), min_labels)
        metric = MultilabelFrameMetric(labels)
        return metric.compute(
            predictions=decided.tolist(),
            references=np.asarray(pred.label_ids).astype(int).tolist(),
        )

    steps_per_epoch = -(-len(train_ds) // config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    with _keeping_checkpoints(store):  # an interruption keeps the last checkpoint
        if store is None:
            run_dir = tempfile.TemporaryDirectory(prefix="framescope-train-")
        else:  # the Trainer's epoch weights go beside the resume points
            run_dir = contextlib.nullcontext(str(store.folder))
        with run_dir as tmp:
            args = TrainingArguments(
                output_dir=tmp,
                num_train_epochs=config.epochs,
                per_device_train_batch_size=config.batch_size,
                per_device_eval_batch_size=64,
                lr_scheduler_type="linear",
                warmup_steps=int(round(config.warmup_ratio * total_steps)),
                eval_strategy="epoch",
                save_strategy="epoch",
                save_total_limit=1 if store is None else None,  # the store keeps the best only
                save_only_model=True,
                restore_callback_states_from_checkpoint=True,
                load_best_model_at_end=True,
                metric_for_best_model="macro_f1",
                greater_is_better=True,
                logging_strategy="epoch",
                report_to="none",
                seed=config.seed,
                data_seed=config.seed,
                full_determinism=True,
                disable_tqdm=not progress,
                use_cpu=on_cpu,
                label_names=["labels"],
                dataloader_num_workers=0,
                train_sampling_strategy="group_by_length",
            )
            trainer = ResumableTrainer(
                model=model,
                args=args,
                train_dataset=train_ds,
                eval_dataset=dev_ds,
                data_collator=DataCollatorWithPadding(tokenizer),
                compute_loss_func=loss_fn,
                compute_metrics=compute_metrics,
                callbacks=[EarlyStoppingCallback(config.early_stopping_patience)],
                optimizers=(_optimizer(model, config), None),
                store=store,
                checkpoint_steps=config.checkpoint_steps,
                steps_per_epoch=steps_per_epoch,
            )
            if not progress:
                from transformers.trainer_callback import PrinterCallback

                trainer.remove_callback(PrinterCallback)  # it prints every log dict to stdout
            latest = store.latest() if store is not None else None
            try:
                trainer.train(resume_from_checkpoint=str(latest) if latest else None)
            finally:
                torch.use_deterministic_algorithms(False)  # full_determinism turned it on
            kept = ("epoch", "loss", "eval_loss", "eval_macro_f1")
            history = [
                {k: v for k, v in entry.items() if k in kept} for entry in trainer.state.log_history
            ]
            best_metric = trainer.state.best_metric
            epochs_run = trainer.state.epoch
        train_seconds = time.perf_counter() - started
        model.eval()
        if config.finetune == "lora" and config.adapter_dtype == "float16":
            # round the adapter to what will be stored, so thresholds and metrics describe the
            # saved weights
            with torch.no_grad():
                for name, param in model.encoder.named_parameters():
                    if "lora_" in name:
                        param.copy_(param.half().float())

        clf = FrameClassifier(
            model,
            tokenizer,
            labels,
            [0.5] * len(labels),
            max_length=config.max_length,
            min_labels=min_labels,
        )
        y_dev = label_matrix(dsd["dev"], labels)
        dev_logits = clf.predict_logits(dsd["dev"]["text"])
        clf.thresholds = tune_thresholds(expit(dev_logits), y_dev)
        dev_probs = expit(dev_logits)
        if config.calibration == "temperature":
            calibrate(clf, dsd["dev"]["text"], y_dev, fitted_on="dev", logits=dev_logits)
            if clf.temperatures is not None:
                dev_probs = expit(dev_logits / clf.temperatures)
        calibration_record = clf.config.get("calibration")

        baseline = TfidfBaseline(labels, min_labels=min_labels).fit(dsd["train"]["text"], y_train)
        baseline.tune(dsd["dev"]["text"], y_dev)

        metrics: dict[str, Any] = {
            "dev": multilabel_scores(
                y_dev, apply_thresholds(dev_probs, clf.thresholds, min_labels), labels
            ).to_dict(),
        }
        if "test" in dsd and len(dsd["test"]):
            y_test = label_matrix(dsd["test"], labels)
            test_pred = apply_thresholds(
                clf.predict_proba(dsd["test"]["text"]), clf.thresholds, min_labels
            )
            metrics["test"] = multilabel_scores(y_test, test_pred, labels).to_dict()
            metrics["baseline_test"] = multilabel_scores(
                y_test, baseline.predict_matrix(dsd["test"]["text"]), labels
            ).to_dict()
        metrics["split_sizes"] = {split: len(dsd[split]) for split in dsd}

        clf.config = {
            "codebook": {"name": meta["codebook"], "version": meta["codebook_version"]},
            "base_model": base_model_record(config.base_model),
            "training": config.to_dict(),
            "corpus_hash": meta["corpus_hash"],
            "corpus_source": meta.get("source", ""),
            "metrics": metrics,
            "training_log": {
                "seconds": round(train_seconds, 1),
                "epochs_run": epochs_run,
                "best_dev_macro_f1_at_0.5": best_metric,
                "history": history,
                "device": "cpu" if on_cpu else "cuda",
                "torch_threads": torch.get_num_threads(),
            },
        }
        if calibration_record:
            clf.config["calibration"] = calibration_record
        log.info("trained in %.1f s; dev macro-F1 %.3f", train_seconds, metrics["dev"]["macro_f1"])
        if output_dir is not None:
            save_with_baseline(clf, baseline, output_dir)
    if store is not None:
        store.remove()
    return clf


@contextlib.contextmanager
def _keeping_checkpoints(store: CheckpointStore | None) -> Iterator[None]:
    """On a failure or an interruption, keep the last checkpoint for a resume (and say so)."""
    try:
        yield
    except BaseException:
        kept = store.keep() if store is not None else None
        if kept is not None:
            log.warning(
                "training stopped; its last checkpoint is %s: rerun with --resume "
                "(resume=True) to continue from it",
                kept,
            )
        raise


def _check_output(target: Path) -> None:
    if target.exists() and any(target.iterdir()) and not (target / "framescope.json").is_file():
        raise FramescopeError(f"{target} exists and is not a framescope model; choose another path")


def _relax_permissions(folder: Path) -> None:
    """mkdtemp/mkstemp create owner-only entries; give the model the user's usual modes."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def save_with_baseline(
    clf: FrameClassifier, baseline: TfidfBaseline, output_dir: str | Path
) -> Path:
    """Save into a fresh sibling folder, then swap it into place: an interrupted save never
    leaves a half-written model where a good one was."""
    target = Path(output_dir)
    _check_output(target)
    try:
        with replacing_directory(target) as staging:
            clf.save(
                staging,
                adapter_dtype=clf.config.get("training", {}).get("adapter_dtype", "float32"),
            )
            baseline.save(staging / BASELINE_DIR)
            _relax_permissions(staging)
    except Exception as exc:  # a full disk, a read-only folder: one line, nothing left
        cause = os_error(exc)
        if cause is None:
            raise
        raise write_error(target, cause) from exc
    clf.source = str(target)
    return target
