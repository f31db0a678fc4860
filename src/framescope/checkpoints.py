"""Checkpoints that let an interrupted training continue where it stopped.

While ``train`` works towards the model folder ``OUT``, the sibling folder
``OUT.checkpoints/`` (never inside ``OUT``) holds:

- ``run.json``: the settings, labels and corpus hash the run started with; a resume with
  other ones is refused;
- ``checkpoint-N/model.safetensors``: the Trainer's weights at the end of an epoch, kept
  while they are the best on dev (the Trainer reloads the best at the end);
- ``resume-N/``: all that is needed to continue after optimizer step N, written every
  ``checkpoint_steps`` steps and at the end of every epoch: ``model.safetensors``,
  ``trainer_state.json`` (the Trainer's own JSON: step, epoch, log, best metric,
  early-stopping counter), ``resume.safetensors`` (optimizer moments, random-generator
  states, the running loss) and ``resume.json`` (optimizer settings, the learning-rate
  schedule, Python's and NumPy's generator states).

A resume point is written in a temporary folder and renamed, so it exists only when
complete; the older ones, and epoch weights no longer the best, go after it. Nothing is
pickled. Resuming restores every state, replays the current epoch's batch order from the
generator state at its start and skips the batches already seen, so on a CPU the result is
the same as an uninterrupted run's. ``remove`` deletes the folder once the model is saved.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import Trainer, TrainerCallback

from .errors import FramescopeError
from .interrupts import check as check_interrupts
from .resumable import differences, os_error, write_error

log = logging.getLogger(__name__)

RUN = "run.json"
MODEL = "model.safetensors"
STATE = "trainer_state.json"
TENSORS = "resume.safetensors"
SCALARS = "resume.json"
FORMAT = 1


def checkpoint_dir(output: str | Path) -> Path:
    """The folder beside the model folder ``output`` that holds its training's checkpoints."""
    output = Path(output).resolve()
    return output.parent / f"{output.name}.checkpoints"


def _step(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])


class CheckpointStore:
    """The checkpoint folder of one training run (see the module's docstring)."""

    def __init__(self, folder: Path, output: Path) -> None:
        self.folder = folder
        self.output = output

    @classmethod
    def open(cls, output: str | Path, run: dict[str, Any], *, resume: bool) -> CheckpointStore:
        """Start the checkpoints of a training into ``output``, or, with ``resume``, take
        over those of the interrupted one (its ``run.json`` must equal ``run``)."""
        output = Path(output)
        store = cls(checkpoint_dir(output), output)
        if store.latest() is not None:
            if not resume:
                raise FramescopeError(
                    f"{output}: an interrupted training left checkpoints in {store.folder}; pass "
                    f"--resume (resume=True) to continue it, or delete {store.folder} to start over"
                )
            store._check(run)
            store._tidy()
            log.info("resuming %s from %s", output, store.latest())
            return store
        if resume:
            log.info("no checkpoint of an interrupted training in %s; starting fresh", store.folder)
        shutil.rmtree(store.folder, ignore_errors=True)  # a run stopped before its first point
        try:
            store.folder.mkdir(parents=True)
            _write_json(store.folder / RUN, {"format": FORMAT, **run})
        except OSError as exc:
            shutil.rmtree(store.folder, ignore_errors=True)
            raise write_error(store.folder, exc) from exc
        return store

    def latest(self) -> Path | None:
        """The newest complete resume point, if any."""
        points = sorted(self.folder.glob("resume-*"), key=_step) if self.folder.is_dir() else []
        return points[-1] if points else None

    def _check(self, run: dict[str, Any]) -> None:
        try:
            recorded = json.loads((self.folder / RUN).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise FramescopeError(
                f"{self.folder}: no readable {RUN}, so its checkpoints cannot be trusted; "
                "delete the folder to start over"
            ) from None
        diffs = differences(recorded, {"format": FORMAT, **run})
        if diffs:
            raise FramescopeError(
                f"cannot resume from {self.folder}: it was made with a different "
                f"{'; '.join(diffs)}; rerun with the same corpus and settings, or delete the "
                "folder to start over"
            )

    def _tidy(self) -> None:
        """Before a resume: drop half-written points and weights that no point refers to,
        and point the recorded best epoch at this folder (it may have been moved)."""
        for tmp in self.folder.glob(".resume-*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)
        latest = self.latest()
        assert latest is not None
        state_file = latest / STATE
        state = json.loads(state_file.read_text(encoding="utf-8"))
        recorded = state.get("best_model_checkpoint")
        best = self.folder / Path(recorded).name if recorded else None
        if best is not None:
            if not (best / MODEL).is_file():
                raise FramescopeError(
                    f"{self.folder}: the best epoch's weights ({best.name}) are missing; "
                    "delete the folder to start over"
                )
            if Path(recorded) != best:
                state["best_model_checkpoint"] = str(best)
                _write_json(state_file, state)
        self._rotate(latest, best)

    def _rotate(self, keep: Path, best: Path | None) -> None:
        for old in self.folder.glob("resume-*"):
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)
        for old in self.folder.glob("checkpoint-*"):
            if best is None or old.name != best.name:
                shutil.rmtree(old, ignore_errors=True)

    def save(self, trainer: ResumableTrainer, epoch_start_rng: torch.Tensor) -> Path:
        """Write the resume point for the trainer's current step."""
        state = trainer.state
        final = self.folder / f"resume-{state.global_step:06d}"
        tmp = self.folder / f".{final.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir()
            tensors, scalars = _resume_state(trainer, epoch_start_rng)
            save_file(_cpu(trainer.model.state_dict()), str(tmp / MODEL), metadata={"format": "pt"})
            save_file(tensors, str(tmp / TENSORS))
            _write_json(tmp / SCALARS, scalars)
            _update_callback_states(trainer)
            state.save_to_json(str(tmp / STATE))
            for path in tmp.iterdir():
                with open(path, "rb+") as handle:
                    os.fsync(handle.fileno())
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            cause = os_error(exc)
            if cause is not None:
                raise write_error(self.folder, cause) from exc
            raise
        best = state.best_model_checkpoint
        self._rotate(final, Path(best) if best else None)
        log.debug("checkpoint written: %s", final)
        return final

    def keep(self) -> Path | None:
        """After a failure: the resume point kept for a later run; a folder without one is
        removed."""
        latest = self.latest()
        if latest is None:
            self.remove()
        return latest

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _cpu(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in tensors.items()}


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(value, indent=2, allow_nan=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------- state to and from disk
def _resume_state(
    trainer: ResumableTrainer, epoch_start_rng: torch.Tensor
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Everything but the weights and the TrainerState, as tensors and JSON values."""
    tensors: dict[str, torch.Tensor] = {
        "rng.torch": torch.random.get_rng_state(),
        "rng.epoch_start": epoch_start_rng,
        "loss.running": trainer._tr_loss.detach().cpu().reshape(()),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = rng
    optimizer = trainer.optimizer.state_dict()
    scalar_state: dict[str, dict[str, Any]] = {}
    for index, entries in optimizer["state"].items():
        for name, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalar_state.setdefault(str(index), {})[name] = value
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    scalars = {
        "optimizer": {"param_groups": optimizer["param_groups"], "state": scalar_state},
        "scheduler": trainer.lr_scheduler.state_dict(),
        "rng_python": [version, list(internal), gauss_next],
        "rng_numpy": [kind, keys.tolist(), position, has_gauss, gauss],
        "loss_total": trainer._total_loss_scalar,
        "last_logged_step": trainer._globalstep_last_logged,
    }
    return tensors, scalars


def _update_callback_states(trainer: Trainer) -> None:
    """Record the early-stopping counter and the control flags in the TrainerState, as the
    Trainer does when it saves a checkpoint."""
    from transformers.trainer_callback import ExportableState

    for callback in [*trainer.callback_handler.callbacks, trainer.control]:
        if isinstance(callback, ExportableState):
            trainer.state.stateful_callbacks[type(callback).__name__] = callback.state()


def _load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict, saved: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, entries in saved["state"].items():
        state.setdefault(int(index), {}).update(entries)
    current = optimizer.state_dict()["param_groups"]
    if len(current) != len(saved["param_groups"]):
        raise FramescopeError("the checkpoint's optimizer does not match this model")
    groups = [  # JSON turned tuples (AdamW's betas) into lists
        {k: tuple(v) if isinstance(now.get(k), tuple) else v for k, v in group.items()}
        for group, now in zip(saved["param_groups"], current)
    ]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


class ResumableTrainer(Trainer):
    """The Trainer, saving weights as safetensors only (no pickled arguments) and resuming
    from a CheckpointStore's resume points (with ``store``, it also writes them)."""

    def __init__(
        self,
        *args: Any,
        store: CheckpointStore | None = None,
        checkpoint_steps: int = 0,
        steps_per_epoch: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.resumed: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None
        if store is not None:
            self.add_callback(_Checkpointer(self, store, checkpoint_steps, steps_per_epoch))

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        folder = Path(output_dir or self.args.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        weights = state_dict if state_dict is not None else self.model.state_dict()
        try:
            save_file(_cpu(weights), str(folder / MODEL), metadata={"format": "pt"})
        except Exception as exc:
            cause = os_error(exc)
            if cause is None:
                raise
            raise write_error(folder, cause) from exc

    def _load_optimizer_and_scheduler(self, checkpoint: str | None) -> None:
        if checkpoint is None:
            return
        tensors = load_file(str(Path(checkpoint) / TENSORS))
        scalars = json.loads((Path(checkpoint) / SCALARS).read_text(encoding="utf-8"))
        self.resumed = (tensors, scalars)
        _load_optimizer(self.optimizer, tensors, scalars["optimizer"])
        self.lr_scheduler.load_state_dict(dict(scalars["scheduler"]))

    def _load_rng_state(self, checkpoint: str | None) -> None:
        if checkpoint is None or self.resumed is None:
            return
        tensors, scalars = self.resumed
        version, internal, gauss_next = scalars["rng_python"]
        random.setstate((version, tuple(internal), gauss_next))
        kind, keys, position, has_gauss, gauss = scalars["rng_numpy"]
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, gauss))
        torch.random.set_rng_state(tensors["rng.torch"])
        cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
        if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)

    def get_resumed_dataloader(self, dataloader: Any, num_batches: int) -> Any:
        # the epoch's batch order is drawn from the generator when iteration starts: replay it
        if self.resumed is not None:
            torch.random.set_rng_state(self.resumed[0]["rng.epoch_start"])
        return super().get_resumed_dataloader(dataloader, num_batches)


class _Checkpointer(TrainerCallback):
    """Writes a resume point every ``every`` optimizer steps and at each epoch's end (after
    its evaluation), except when training stops there."""

    def __init__(
        self, trainer: ResumableTrainer, store: CheckpointStore, every: int, steps_per_epoch: int
    ) -> None:
        self.trainer = trainer
        self.store = store
        self.every = every
        self.steps_per_epoch = steps_per_epoch
        self.epoch_start_rng = torch.random.get_rng_state()
        self.resuming = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.trainer.resumed is None:
            return
        tensors, scalars = self.trainer.resumed
        self.trainer._tr_loss = tensors["loss.running"].to(args.device)
        self.trainer._total_loss_scalar = scalars["loss_total"]
        self.trainer._globalstep_last_logged = scalars["last_logged_step"]
        self.epoch_start_rng = tensors["rng.epoch_start"]
        self.resuming = True

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # the generator state from which the Trainer draws this epoch's batch order; the
        # resumed epoch's was saved (the Trainer restores the generators after this call)
        if self.resuming:
            self.resuming = False
        else:
            self.epoch_start_rng = torch.random.get_rng_state()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        check_interrupts()  # a SIGTERM that a finalizer swallowed stops here
        step = state.global_step
        if step % self.every == 0 and step % self.steps_per_epoch != 0:
            self.store.save(self.trainer, self.epoch_start_rng)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not control.should_training_stop:
            self.store.save(self.trainer, torch.random.get_rng_state())
