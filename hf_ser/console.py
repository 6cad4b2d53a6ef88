"""What a person running an ``hf-ser`` command sees: one progress bar per stage and a closing table.

Everything else — the resolved config, Trainer and library logs, each evaluation, Python warnings — goes to
the command's log file (``output_dir/train.log``, ``cv.log``, ``evaluate.log``); ``--verbose`` shows it on
the console too. hf-ser's own warnings (things a user must act on) always reach the console.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

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


def _configure_libraries() -> None:
    """The libraries install their own console handler on first use: make that happen now, so the handlers
    swapped below stay swapped."""
    import datasets.utils.logging  # noqa: F401
    import huggingface_hub.utils.logging  # noqa: F401
    import transformers.utils.logging

    transformers.utils.logging.get_logger()


@contextlib.contextmanager
def run_console(log_file: str | None, *, verbose: bool = False, main_process: bool = True) -> Iterator[None]:
    """Route hf-ser's and the libraries' logs to ``log_file`` (main process) and a filtered console for the
    duration of one command; everything is restored afterwards (tests run many commands in one process)."""
    _configure_libraries()
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


def table(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns: the closing summary of a command."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
