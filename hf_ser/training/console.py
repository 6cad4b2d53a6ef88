"""What a person running ``hf-ser train`` / ``hf-ser cv`` sees: one progress bar per stage and a closing table.

Everything else — the resolved config, Trainer and library logs, each evaluation, Python warnings — goes to
the run's log file (``output_dir/train.log``, ``cv.log`` for ``hf-ser cv``); ``--verbose`` shows it on the
console too. hf-ser's own warnings (things a user must act on) always reach the console.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from transformers import TrainerCallback

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose records go to the log file (and, with --verbose, to the console).
_LOGGERS = ("hf_ser", "transformers", "datasets", "accelerate", "huggingface_hub", "py.warnings")


class _ConsoleFilter(logging.Filter):
    """Quiet console: hf-ser warnings and library errors; verbose: everything at INFO and above."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose:
            return record.levelno >= logging.INFO
        own = record.name == "hf_ser" or record.name.startswith("hf_ser.")
        return record.levelno >= (logging.WARNING if own else logging.ERROR)


def _progress_bars(enabled: bool) -> tuple[bool, bool]:
    """Switch transformers' and datasets' own bars (checkpoint shard writing, Map, save) on or off; returns
    whether each was on."""
    import transformers
    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    before = (transformers.utils.logging.is_progress_bar_enabled(), not are_progress_bars_disabled())
    if enabled:
        transformers.utils.logging.enable_progress_bar()
        enable_progress_bars()
    else:
        transformers.utils.logging.disable_progress_bar()
        disable_progress_bars()
    return before


def _restore_progress_bars(before: tuple[bool, bool]) -> None:
    import transformers
    from datasets.utils import disable_progress_bars, enable_progress_bars

    (transformers.utils.logging.enable_progress_bar if before[0] else transformers.utils.logging.disable_progress_bar)()
    (enable_progress_bars if before[1] else disable_progress_bars)()


@contextlib.contextmanager
def run_console(log_file: str | None, *, verbose: bool = False, main_process: bool = True) -> Iterator[None]:
    """Route hf-ser's and the libraries' logs to ``log_file`` (main process) and a filtered console for the
    duration of one command; everything is restored afterwards (tests run many commands in one process)."""
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    console.addFilter(_ConsoleFilter(verbose and main_process))
    handlers.append(console)
    if log_file is not None and main_process:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
        file_handler.setLevel(logging.INFO)
        handlers.append(file_handler)
    saved = {}
    for name in _LOGGERS:
        lg = logging.getLogger(name)
        saved[name] = (lg.level, list(lg.handlers), lg.propagate)
        lg.handlers = list(handlers)
        lg.propagate = False
        lg.setLevel(logging.INFO if main_process else logging.WARNING)
    logging.captureWarnings(True)
    bars = _progress_bars(verbose) if main_process else None
    try:
        yield
    finally:
        logging.captureWarnings(False)
        if bars is not None:
            _restore_progress_bars(bars)
        for name, (level, old_handlers, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers, lg.propagate = old_handlers, propagate
            lg.setLevel(level)
        for h in handlers:
            h.close()


class StageProgress(TrainerCallback):
    """One progress bar for training (the latest and best validation UAR beside it) instead of Trainer's bar,
    its nested evaluation bars and its printed log dicts, which go to the log file instead. Notes whether
    training ended early, and why, for the closing summary."""

    def __init__(self, description: str = "training", disable: bool = False, leave: bool = True) -> None:
        self.description = description
        self.disable = disable
        self.leave = leave
        self.bar = None
        self.stopped_early = False
        self.planned_steps = 0
        self.best: float | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        from tqdm.auto import tqdm

        self.planned_steps = state.max_steps
        if state.is_world_process_zero:
            self.bar = tqdm(
                total=state.max_steps,
                initial=state.global_step,
                desc=self.description,
                unit="step",
                disable=self.disable,
                leave=self.leave,
                dynamic_ncols=True,
            )

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        if "eval_uar" in metrics:
            logger.info("step %d: validation %s", state.global_step, _fmt(metrics))
            # Trainer updates state.best_metric only when it saves the checkpoint, after this call.
            seen = [v for v in (self.best, state.best_metric, metrics["eval_uar"]) if v is not None]
            self.best = max(seen)
            if self.bar is not None:
                self.bar.set_postfix_str(f"val UAR {metrics['eval_uar']:.3f}, best {self.best:.3f}", refresh=False)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs and not any(k.startswith(("eval_", "test_")) for k in logs):
            logger.info("step %d: %s", state.global_step, _fmt(logs))

    def on_train_end(self, args, state, control, **kwargs):
        self.stopped_early = 0 < state.global_step < state.max_steps
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())


def table(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns: the closing summary of a command."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
