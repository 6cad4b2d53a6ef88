"""Recipe loading: a YAML file, then ``--key value`` overrides, into the three argument dataclasses.

``recipes/train.py recipes/emodb/mfcc_cnn.yaml --learning_rate 3e-4 --output_dir out`` reads the
YAML, applies the overrides and builds ``(DataArguments, ModelArguments, SERTrainingArguments)``.
Rules (as alignment-handbook's old ``H4ArgumentParser``):

* keys are the dataclass field names, flat; a key that no dataclass knows is an error that
  suggests the closest known keys, and so is a key given twice (in the YAML or on the command line);
* command-line values are cast to the field's type (``--learning_rate 3e-4`` is a float,
  ``--bf16`` alone or ``--bf16 true`` a bool, ``--head_channels 32 64`` or ``32,64`` a list,
  ``--corpus_options '{"num_speakers": 4}'`` a mapping, ``null`` is ``None``);
* YAML values get the same casting, which also fixes PyYAML reading ``1e-3`` as a string;
* a ``recipes/<corpus>/<method>.yaml`` path that does not exist where the command runs is read from the
  recipes shipped with hf-ser (package data), so the shipped recipes work from any folder.

transformers is imported only when arguments are built, so ``--help`` (``usage.py``) stays fast.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import hashlib
import json
import logging
import os
import sys
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..files import atomic_open

if TYPE_CHECKING:
    from .arguments import CVArguments, DataArguments, ModelArguments, SERTrainingArguments

logger = logging.getLogger(__name__)

RECIPES_FOLDER = "recipes"
CONFIG_FILENAME = "train_config.yaml"
# TrainingArguments fields that __post_init__ fills in or that are objects: not worth logging as overrides.
_DERIVED = {
    "activation_checkpointing",
    "gradient_checkpointing",
    "disable_tqdm",
    "accelerator_config",
    "debug",
    "do_eval",
}
_TRUE = ("1", "true", "yes", "on", "y", "t")
_FALSE = ("0", "false", "no", "off", "n", "f")


class ConfigError(ValueError):
    """A recipe or command line that cannot be turned into arguments (unknown/duplicate key, bad value)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                f"(first given at line {seen[key] + 1}) in {node.start_mark.name}"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def argument_classes() -> tuple[type, type, type, type]:
    """``(DataArguments, ModelArguments, SERTrainingArguments, CVArguments)``, imported on first use (they need
    transformers). Both commands accept every key of all four."""
    from .arguments import CVArguments, DataArguments, ModelArguments, SERTrainingArguments

    return DataArguments, ModelArguments, SERTrainingArguments, CVArguments


def recipes_dir() -> Path:
    """The recipes shipped with hf-ser: package data (in a checkout, ``hf_ser/recipes`` links to ``recipes/``)."""
    import importlib.resources

    return Path(str(importlib.resources.files("hf_ser").joinpath(RECIPES_FOLDER)))


def find_recipe(path: str | os.PathLike) -> str:
    """``path`` if it exists; else a ``recipes/<corpus>/<method>.yaml`` path is looked up among the shipped
    recipes, so ``hf-ser train recipes/synthetic/default.yaml`` works from any folder."""
    path = os.fspath(path)
    parts = Path(path).parts
    if os.path.exists(path) or len(parts) < 2 or parts[0] != RECIPES_FOLDER:
        return path
    shipped = recipes_dir().joinpath(*parts[1:])
    return str(shipped) if shipped.is_file() else path


def display_recipe(path: str | os.PathLike) -> str:
    """How a command line should name a recipe: ``recipes/...`` for a shipped one (valid from any folder)."""
    real, shipped = Path(os.path.realpath(path)), Path(os.path.realpath(recipes_dir()))
    if real.is_relative_to(shipped):
        return Path(RECIPES_FOLDER, real.relative_to(shipped)).as_posix()
    return os.fspath(path)


def _field_types() -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for cls in argument_classes():
        type_hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.init:
                hints[f.name] = type_hints[f.name]
    return hints


def _union_args(tp: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return (tp,)


def _to_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{key}: expected true/false, got {value!r}")


def coerce(value: Any, tp: Any, key: str) -> Any:
    """Cast a YAML or command-line value to the dataclass field type ``tp``."""
    options = _union_args(tp)
    base = {typing.get_origin(o) or o for o in options}
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if type(None) in options and (text.lower() in ("null", "~") or (str not in base and text.lower() == "none")):
            return None
        if bool in base:
            return _to_bool(text, key)
        if int in base and float not in base:
            try:
                return int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    as_float = None
                if as_float is not None and as_float.is_integer():
                    return int(as_float)
                if str not in base:
                    raise ConfigError(f"{key}: expected an integer, got {value!r}") from None
        if float in base:
            try:
                number = float(text)
            except ValueError:
                if str not in base:
                    raise ConfigError(f"{key}: expected a number, got {value!r}") from None
            else:
                return int(number) if int in base and number.is_integer() and "." not in text else number
        if list in base:
            loaded = yaml.load(text, Loader=_UniqueKeyLoader) if text.startswith("[") else None
            if loaded is None:
                loaded = [t for t in text.replace(",", " ").split() if t]
            return coerce(loaded, tp, key)
        if dict in base:
            if not text.startswith("{"):
                if str in base:
                    return text
                raise ConfigError(f"{key}: expected a mapping such as '{{\"a\": 1}}', got {value!r}")
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                try:
                    return yaml.load(text, Loader=_UniqueKeyLoader)
                except yaml.YAMLError as e:
                    raise ConfigError(f"{key}: cannot parse mapping {value!r}: {e}") from e
        return value
    if isinstance(value, bool):
        if bool in base or str in base or not (base & {int, float}):
            return value
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        if float in base and int not in base:
            return float(value)
        if int in base and float not in base:
            if isinstance(value, float) and not value.is_integer():
                raise ConfigError(f"{key}: expected an integer, got {value!r}")
            return int(value)
        if str in base and not (base & {int, float}):
            return str(value)
        return value
    if isinstance(value, (list, tuple)):
        if list in base:
            item_types = [typing.get_args(o) for o in options if typing.get_origin(o) is list]
            item_type = item_types[0][0] if item_types and item_types[0] else Any
            return [v if item_type is Any else coerce(v, item_type, key) for v in value]
        return list(value)
    return value


def _split_overrides(args: list[str]) -> list[tuple[str, Any]]:
    """Command-line tokens to ``(key, value)`` pairs.

    ``["--a", "1", "--b=2", "--flag", "--l", "3", "4"]`` ->
    ``[("a", "1"), ("b", "2"), ("flag", "true"), ("l", ["3", "4"])]``.
    """
    pairs: list[tuple[str, Any]] = []
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or token == "--":
            raise ConfigError(f"expected --key value, got {token!r} (only one YAML file may be given, first)")
        key, eq, inline = token[2:].partition("=")
        key = key.replace("-", "_")
        if eq:
            pairs.append((key, inline))
            i += 1
            continue
        values = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        pairs.append((key, "true" if not values else values[0] if len(values) == 1 else values))
    return pairs


def _unknown_key_error(key: str, known: typing.Iterable[str], where: str) -> ConfigError:
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ConfigError(f"unknown key {key!r} {where}{hint} (see `hf-ser train --help` for all keys)")


def read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """A recipe file as a flat mapping; duplicate keys and nested sections are errors."""
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.load(f, Loader=_UniqueKeyLoader) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a recipe must be a mapping of keys to values, got {type(data).__name__}")
    return data


def load_config(argv: list[str]) -> dict[str, Any]:
    """YAML (first positional argument, or ``--config PATH``) plus ``--key value`` overrides, cast to field types.

    Returns the flat mapping of every key that was set.
    """
    argv = list(argv)
    config_path = None
    if argv and not argv[0].startswith("-"):
        config_path, argv = argv[0], argv[1:]
    pairs = _split_overrides(argv)
    for key, value in pairs:
        if key == "config":
            if config_path is not None:
                raise ConfigError("two config files given (positional and --config)")
            config_path = value
    pairs = [(k, v) for k, v in pairs if k != "config"]
    hints = _field_types()
    merged: dict[str, Any] = {}
    if config_path is not None:
        config_path = find_recipe(config_path)
        for key, value in read_yaml(config_path).items():
            if key not in hints:
                raise _unknown_key_error(key, hints, f"in {config_path}")
            merged[key] = value
    seen: set[str] = set()
    for key, value in pairs:
        if key not in hints:
            raise _unknown_key_error(key, hints, "on the command line")
        if key in seen:
            raise ConfigError(f"--{key} given twice on the command line")
        seen.add(key)
        merged[key] = value
    return {key: coerce(value, hints[key], key) for key, value in merged.items()}


@dataclasses.dataclass
class RunArguments:
    """Everything one ``hf-ser train`` or ``hf-ser cv`` run was asked: the four argument objects, the keys as
    set (``config``), warnings about keys that do not apply (logged when the run starts) and the command line
    that re-runs it."""

    data: DataArguments
    model: ModelArguments
    training: SERTrainingArguments
    protocol: CVArguments
    config: dict[str, Any]
    command_name: str = "train"
    notes: list[str] = dataclasses.field(default_factory=list)
    command: str = ""


def build_arguments(config: dict[str, Any], command: str = "train") -> RunArguments:
    """The argument objects from a flat mapping, checked before any data is loaded: each dataclass's
    ``__post_init__``, the model keys by SERConfig, the corpora and classes, the keys the command cannot use."""
    from transformers import HfArgumentParser

    from .arguments import model_config, unused_model_keys
    from .protocol import check_corpora, check_protocol_keys

    data, model, training, protocol = HfArgumentParser(argument_classes()).parse_dict(
        dict(config), allow_extra_keys=False
    )
    if protocol.inner_grid:
        protocol.inner_grid = _searched_values(protocol.inner_grid)
    args = RunArguments(data, model, training, protocol, dict(config), command)
    notes = []
    if model.model_name_or_path:
        _check_saved_model(args)
    else:
        resolved = model_config(data, model)  # raises ValueError naming the field
        data.sampling_rate = resolved.sampling_rate
        notes = unused_model_keys(resolved, model)
    check_corpora(data, protocol)
    args.notes = check_protocol_keys(config, command, data, protocol) + notes
    return args


# Keys whose change would need other cached features, another corpus or another protocol.
_NOT_SEARCHABLE_PREFIXES = ("encoder_", "whisper_", "lora_", "frontend", "functionals_")


def _check_grid(grid: dict[str, list], hints: dict[str, Any], data_keys: set[str], protocol_keys: set[str]) -> None:
    """Every ``inner_grid`` key must be a training or head key; raise :class:`ConfigError` naming the first that
    is not (``hints``: field types of every recipe key)."""
    from .cache import _FRONTEND_FIELDS

    for key, values in grid.items():
        if key not in hints:
            raise ConfigError(f"inner_grid: {key!r} is not a recipe key (hf-ser cv --help-all lists them)")
        if key in data_keys or key in protocol_keys:
            raise ConfigError(
                f"inner_grid: {key!r} is a data or protocol key; only training and head keys are searched"
            )
        if key in _FRONTEND_FIELDS or key.startswith(_NOT_SEARCHABLE_PREFIXES) or key in ("freeze_encoder", "use_lora"):
            raise ConfigError(
                f"inner_grid: {key!r} changes the front end, whose features are computed once per run; "
                "search training and head keys (learning_rate, weight_decay, num_train_epochs, head_*, ...)"
            )
        if key in ("output_dir", "seed", "model_name_or_path"):
            raise ConfigError(f"inner_grid: {key!r} is not a hyper-parameter")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"inner_grid: {key!r} needs a non-empty list of values, got {values!r}")


def point_name(point: dict[str, Any]) -> str:
    """``'learning_rate=0.001, num_train_epochs=60'``: one inner-CV grid point, for logs, tables and cards."""
    return ", ".join(f"{k}={v}" for k, v in point.items())


def _searched_values(grid: dict[str, Any]) -> dict[str, list]:
    """``inner_grid`` checked (searchable keys, lists of values) and each value cast to its key's type."""
    data_class, _, _, protocol_class = argument_classes()
    hints = _field_types()
    _check_grid(
        grid,
        hints,
        {f.name for f in dataclasses.fields(data_class)},
        {f.name for f in dataclasses.fields(protocol_class)},
    )
    return {key: [coerce(v, hints[key], f"inner_grid.{key}") for v in values] for key, values in grid.items()}


# Keys that do not change a CV run's results: changing them keeps the finished folds.
_NOT_HASHED = {
    "output_dir",
    "overwrite_output_dir",
    "resume_from_checkpoint",
    "cache_dir",
    "keep_checkpoints",
    "verbose",
    "write_fold_cards",
    "test_gain_db",  # re-predicts the saved fold models: training is the same
    "disable_tqdm",
    "report_to",
    "run_name",
    "log_level",
    "log_level_replica",
    "logging_steps",
    "logging_strategy",
    "logging_first_step",
    "save_total_limit",
    "dataloader_num_workers",
    "push_to_hub",
    "hub_model_id",
    "hub_private_repo",
    "hub_strategy",
    "data_dir",
    "data_dirs",
    "test_data_dir",
}


# ----------------------------------------------------------------------------------------- config hash
def hashed_config(resolved: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sorted(resolved.items()) if k not in _NOT_HASHED}


def config_hash(resolved: dict[str, Any]) -> str:
    blob = json.dumps(hashed_config(resolved), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _check_saved_model(args: RunArguments) -> None:
    """The saved model's sampling rate is the data's (a different ``sampling_rate`` in the recipe cannot apply);
    a mistyped model folder has failed already, naming it (``ModelArguments``)."""
    from transformers import AutoFeatureExtractor

    model = args.model

    rate = AutoFeatureExtractor.from_pretrained(model.model_name_or_path).sampling_rate
    if args.data.sampling_rate not in (None, rate):
        raise ConfigError(
            f"sampling_rate={args.data.sampling_rate} cannot apply: model_name_or_path={model.model_name_or_path!r} "
            f"takes {rate} Hz audio (leave sampling_rate out)"
        )
    args.data.sampling_rate = rate


def parse_arguments(argv: list[str], command: str = "train") -> RunArguments:
    """:class:`RunArguments` from ``[CONFIG.yaml] [--key value ...]`` for ``hf-ser train`` or ``hf-ser cv``."""
    args = build_arguments(load_config(argv), command)
    args.command = card_command(argv, None if command == "train" else f"hf-ser {command}")
    return args


def card_command(argv: list[str], prog: str | None = None) -> str:
    """The command line that re-runs this training, for the model card: the recipe as a path that works from
    the checkout or any folder (``recipes/...`` for a shipped one), then the overrides as given (no tokens, no
    resume: a fresh run)."""
    import shlex

    if prog is None:
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        prog = "accelerate launch recipes/train.py" if script == "train.py" else "hf-ser train"
    args = list(argv)
    words = []
    if args and not args[0].startswith("-"):
        words.append(display_recipe(find_recipe(args.pop(0))))
    skip = False
    for token in args:
        key = token[2:].split("=", 1)[0].replace("-", "_") if token.startswith("--") else None
        if key is not None:
            skip = "token" in key or key == "resume_from_checkpoint"
        if not skip:
            words.append(token)
    return " ".join([prog, *(shlex.quote(w) for w in words)])


def print_help(prog: str = "hf-ser train") -> None:
    """Every key a recipe accepts, with its help text (HfArgumentParser's argparse help): ``--help-all``."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser(argument_classes(), prog=prog)
    parser.usage = f"{prog} CONFIG.yaml [--key value ...]"
    parser.print_help(sys.stdout)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def resolved_config(args: RunArguments) -> dict[str, Any]:
    """The resolved recipe: every data and protocol key the command uses, the model keys with the values the
    model gets (SERConfig's defaults filled in; none beside a saved model's own), the training keys that
    differ from the defaults. Saved next to the model, it is itself a recipe that reproduces the run."""
    from .arguments import config_keys, model_config
    from .protocol import applies

    cross_corpus = bool(args.protocol.test_corpus)
    out: dict[str, Any] = {}
    for part in (args.data, args.model, args.protocol):
        for f in dataclasses.fields(part):
            if applies(f.name, args.command_name, cross_corpus):
                out[f.name] = _plain(getattr(part, f.name))
    if not args.model.model_name_or_path:
        config = model_config(args.data, args.model)
        out.update({key: _plain(getattr(config, key)) for key in config_keys()})
    out.update(
        {k: v for k, v in training_overrides(args.training).items() if applies(k, args.command_name, cross_corpus)}
    )
    return out


def training_overrides(training_args: Any) -> dict[str, Any]:
    """Training fields that differ from SERTrainingArguments' defaults (for logs, cards and saved configs)."""
    out = {}
    for f in dataclasses.fields(type(training_args)):
        if not f.init or f.name.endswith("token") or f.name.startswith("_") or f.name in _DERIVED:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        value = getattr(training_args, f.name, None)
        if _plain(value) != _plain(default):
            out[f.name] = _plain(value)
    return out


def save_config(config: dict[str, Any], output_dir: str, filename: str = CONFIG_FILENAME) -> str:
    """Write the flat config as YAML (it is itself a recipe that reproduces the run)."""
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, filename)
    with atomic_open(path) as f:
        f.write("# Resolved hf-ser training config (recipe + command-line overrides); reusable as a recipe.\n")
        yaml.safe_dump(_plain(config), f, sort_keys=False, allow_unicode=True)
    return path
