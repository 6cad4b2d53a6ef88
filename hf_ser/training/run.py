"""``hf-ser train RECIPE.yaml [--key value ...]`` (= ``accelerate launch recipes/train.py``): one model.

The protocol's single fold (:mod:`hf_ser.training.protocol`: a speaker-independent split of ``corpus``, one
corpus or ``a+b``; or cross-corpus with ``test_corpus``) goes through one :class:`Experiment`
(:mod:`hf_ser.training.experiment`, which documents the steps and the ``output_dir`` layout).

Errors: a bad recipe raises ``ValueError`` naming the key before any data is loaded, and a mistyped model
or encoder path ``ModelNotFoundError`` naming it; ``hf-ser train`` prints it and exits with status 2.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import RunArguments

logger = logging.getLogger(__name__)

LOG_NAME = "train.log"


def train(args: RunArguments, callbacks: list | None = None) -> dict[str, Any]:
    """Train and test one model on the protocol's single fold; returns the test results."""
    from .config import config_hash, resolved_config, save_config
    from .experiment import Experiment, prepare_cache
    from .protocol import TRAIN, build_protocol

    for note in args.notes:
        logger.warning(note)
    resolved = resolved_config(args)
    logger.info("resolved config:\n%s", "\n".join(f"  {k}: {v}" for k, v in resolved.items()))
    if args.training.process_index == 0:
        logger.info("config saved to %s", save_config(resolved, args.training.output_dir))
    # The main process builds (and caches) the corpus and the features first; the others then read the caches.
    with args.training.main_process_first(desc="loading the corpus"):
        protocol = build_protocol(args.data, args.protocol, TRAIN)
    with args.training.main_process_first(desc="feature cache"):
        factory, _ = prepare_cache(protocol, args)
    dd = protocol.fold_dataset(0)
    run_args, record = args, {}
    if args.protocol.inner_folds:
        from .inner_cv import select_hyperparameters

        run_args, inner = select_hyperparameters(
            args,
            dd,
            protocol=protocol,
            fold_dir=args.training.output_dir,
            collator_factory=factory,
            config_hash=config_hash(resolved),
            description="inner CV",
        )
        record = {"inner_cv": inner}
    results = Experiment(
        run_args, dd, protocol=protocol, collator_factory=factory, callbacks=callbacks, record=record
    ).run()
    if record and args.training.process_index == 0:
        from .inner_cv import forget_inner_runs

        forget_inner_runs(args.training.output_dir)
    return results


def summary_table(results: dict[str, Any], output_dir: str) -> str:
    """The closing table of ``hf-ser train``: data, model, training, best checkpoint, test metrics, files."""
    from ..console import table
    from .experiment import TEST_RESULTS

    def part(split: str) -> str:
        n_spk = len(results["speakers"].get(split, []))
        return f"{split} {results['clips'][split]} clips / {n_spk} speaker{'s' if n_spk != 1 else ''}"

    rows = [
        ("data", f"{results['corpus']}: " + ", ".join(part(s) for s in results["clips"])),
        ("model", f"{results['model_summary']}; {results['num_parameters']:,} parameters"),
    ]
    steps = f"{results['global_step']} of {results['planned_steps']} steps in {results['train_runtime']:.0f} s"
    if results["stopped_early"]:
        steps += f"; stopped early: no better validation UAR in {results['early_stopping_patience']} evaluations"
    rows.append(("training", steps))
    if results["validation_uar"] is not None:
        n_val = len(results["speakers"].get("validation", []))
        note = " (one speaker: a noisy choice)" if n_val == 1 else ""
        rows.append(
            (
                "best checkpoint",
                f"step {results['best_step']}, validation UAR {results['validation_uar']:.3f} on "
                f"{results['clips']['validation']} clips{note}",
            )
        )
    rows.append(
        (
            "test",
            f"UAR {results['test_uar']:.3f}  WA {results['test_accuracy']:.3f}  macro-F1 "
            f"{results['test_macro_f1']:.3f}  (held-out speakers)",
        )
    )
    if "inner_cv" in results:
        from .config import point_name

        rows.append(("inner CV chose", point_name(results["inner_cv"]["chosen"])))
    rows.append(("saved", f"{output_dir}  (model card README.md, {TEST_RESULTS}, log {LOG_NAME})"))
    return table(rows)


def run_command(argv: list[str] | None, command: str, log_name: str, runner: Any, summary: Any) -> int:
    """What ``hf-ser train`` and ``hf-ser cv`` share: help, parsing (status 2 and the key named for a bad recipe),
    the console and log file, the closing summary."""
    from .usage import print_cv_help, print_train_help, usage_line

    prog = f"hf-ser {command}"
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(usage_line(prog), file=sys.stderr)
        return 2
    if "--help-all" in argv:
        from .config import print_help

        print_help(prog)
        return 0
    if any(a in ("-h", "--help") for a in argv):
        (print_train_help if command == "train" else print_cv_help)()
        return 0
    from ..console import run_console
    from .cache_store import FeatureCacheError
    from .config import ConfigError, parse_arguments
    from .protocol import ProtocolError

    try:
        args = parse_arguments(argv, command)
    except (ConfigError, ValueError, OSError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    main_process = args.training.process_index == 0
    log_file = os.path.join(args.training.output_dir, log_name)
    try:
        with run_console(log_file, verbose=args.training.verbose, main_process=main_process):
            results = runner(args)
    except (ProtocolError, FeatureCacheError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if main_process:
        print(summary(results, args.training.output_dir))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``hf-ser train RECIPE.yaml [--key value ...]``; exit status 2 for a bad recipe or command line."""
    return run_command(argv, "train", LOG_NAME, lambda args: train(args), summary_table)


if __name__ == "__main__":
    raise SystemExit(main())
