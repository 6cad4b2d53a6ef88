"""Recipe loading: YAML + overrides, casting, unknown/duplicate keys, cross-field checks."""

import pytest

from hf_ser.training.arguments import DataArguments, ModelArguments, SERTrainingArguments
from hf_ser.training.config import ConfigError, build_arguments, load_config, parse_arguments, save_config


@pytest.fixture
def recipe(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "# header\ncorpus: synthetic\nlearning_rate: 1e-3\nhead: cnn\nhead_channels: [16, 32]\n"
        "corpus_options: {num_speakers: 4}\nnum_train_epochs: 2\noutput_dir: " + str(tmp_path / "out") + "\n"
    )
    return str(path)


def test_yaml_then_overrides(recipe):
    args = parse_arguments(
        [
            recipe,
            "--learning_rate",
            "3e-4",
            "--head_kernel_sizes",
            "5",
            "3",
            "--seed=7",
            "--augment",
            "--corpus_options",
            '{"num_speakers": 5}',
            "--max_duration_seconds",
            "null",
        ]
    )
    data, model, train = args.data, args.model, args.training
    assert isinstance(data, DataArguments) and isinstance(model, ModelArguments)
    assert isinstance(train, SERTrainingArguments)
    assert train.learning_rate == pytest.approx(3e-4) and train.seed == 7
    assert model.head_channels == [16, 32] and model.head_kernel_sizes == [5, 3]
    assert data.augment is True and data.corpus_options == {"num_speakers": 5}
    assert data.max_duration_seconds is None
    # SER defaults: best checkpoint by validation UAR, eval follows save steps
    assert train.metric_for_best_model == "uar" and train.load_best_model_at_end
    assert train.eval_steps == train.save_steps
    assert train.class_weighting == "balanced"


def test_pyyaml_scientific_notation_is_a_float(recipe):
    config = load_config([recipe])
    assert config["learning_rate"] == pytest.approx(1e-3) and isinstance(config["learning_rate"], float)


def test_config_flag_and_list_by_commas(recipe):
    config = load_config(["--config", recipe, "--head_channels", "8,8,8"])
    assert config["head_channels"] == [8, 8, 8]


def test_unknown_key_suggests(recipe):
    with pytest.raises(ConfigError, match="learnig_rate.*learning_rate"):
        load_config([recipe, "--learnig_rate", "1"])


def test_unknown_key_in_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("corpus: synthetic\nhaed: cnn\n")
    with pytest.raises(ConfigError, match="haed"):
        load_config([str(path)])


def test_duplicate_keys(recipe, tmp_path):
    with pytest.raises(ConfigError, match="twice"):
        load_config([recipe, "--seed", "1", "--seed", "2"])
    path = tmp_path / "dup.yaml"
    path.write_text("corpus: synthetic\nseed: 1\nseed: 2\n")
    with pytest.raises(ConfigError, match="duplicate key 'seed'"):
        load_config([str(path)])


def test_bad_values_name_the_field(recipe):
    with pytest.raises(ConfigError, match="seed"):
        load_config([recipe, "--seed", "abc"])
    with pytest.raises(ConfigError, match="augment"):
        load_config([recipe, "--augment", "maybe"])


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"class_weighting": "inverse"}, "class_weighting"),
        ({"head": "transformer"}, "head"),
        ({"test_size": 0.6, "validation_size": 0.5}, "validation_size"),
        ({"speed_range": [1.2, 0.9]}, "speed_range"),
        ({"noise_prob": 1.5}, "noise_prob"),
        ({"frontend": "encoder"}, "frontend=encoder"),
        ({"frontend": "mfcc", "encoder_name_or_path": "facebook/wav2vec2-base"}, "frontend"),
        ({"use_lora": True}, "use_lora"),
        ({"balanced_sampling": True}, "balanced_sampling"),
        ({"head_channels": [8, 8], "head_kernel_sizes": [3, 3, 3]}, "head_kernel_sizes"),
        ({"early_stopping_patience": 0}, "early_stopping_patience"),
        ({"encoder_config": {"hidden_size": 8}, "frontend": "encoder"}, "encoder_config"),
    ],
)
def test_cross_field_checks(override, field):
    with pytest.raises(ValueError, match=field):
        build_arguments({"corpus": "synthetic", "output_dir": "/tmp/x", **override})


def test_corpus_is_required():
    with pytest.raises(ValueError, match="corpus"):
        build_arguments({"output_dir": "/tmp/x"})


def test_config_kwargs_only_set_fields():
    model = build_arguments({"corpus": "synthetic", "head": "lstm", "n_mfcc": 20, "use_lora": False}).model
    assert model.config_kwargs() == {"head": "lstm", "n_mfcc": 20}


def test_model_arguments_mirror_serconfig():
    """Every SERConfig-mirroring ModelArguments field is a real SERConfig argument."""
    import dataclasses
    import inspect

    from hf_ser.modeling import SERConfig

    params = set(inspect.signature(SERConfig.__init__).parameters)
    own = {"model_name_or_path", "do_normalize", "use_lora"}
    mirrored = [
        f.name for f in dataclasses.fields(ModelArguments) if f.name not in own and not f.name.startswith("lora_")
    ]
    assert [n for n in mirrored if n not in params] == []


def test_save_config_roundtrip(recipe, tmp_path):
    config = load_config([recipe, "--seed", "3"])
    path = save_config(config, str(tmp_path / "saved"))
    assert load_config([path]) == config


def test_help(capsys):
    from hf_ser.training.run import main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--max_duration_seconds" in out and "--head" in out and "--help-all" in out
    assert main(["--help-all"]) == 0  # every key, with transformers' TrainingArguments
    out = capsys.readouterr().out
    assert "--class_weighting" in out and "--gradient_accumulation_steps" in out


def test_cli_error_exit_code(recipe, capsys):
    from hf_ser.training.run import main

    assert main([recipe, "--nope", "1"]) == 2
    assert "unknown key 'nope'" in capsys.readouterr().err


def _saved_model(folder) -> str:
    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    model = SERForAudioClassification(SERConfig(num_labels=2, n_mfcc=13, n_mels=26))
    model.save_pretrained(folder)
    feature_extractor_for(model.config).save_pretrained(folder)
    return str(folder)


def test_a_saved_model_brings_its_own_config_so_model_keys_and_sampling_rate_cannot_apply(tmp_path):
    saved = _saved_model(tmp_path / "saved")
    base = {"corpus": "synthetic", "output_dir": str(tmp_path / "out"), "model_name_or_path": saved}
    for key, value in (("frontend", "logmel"), ("head", "lstm"), ("do_normalize", False)):
        with pytest.raises(ValueError, match=f"{key} cannot apply"):
            build_arguments({**base, key: value})
    with pytest.raises(ConfigError, match="sampling_rate=8000 cannot apply"):
        build_arguments({**base, "sampling_rate": 8000})
    assert build_arguments(base).data.sampling_rate == 16000  # the saved model's own


@pytest.mark.parametrize(
    ("config", "command", "named"),
    [
        ({"test_size": 0.2, "validation_size": 0.1}, "cv", ["test_size", "validation_size"]),
        ({"num_folds": 3, "write_fold_cards": True}, "train", ["num_folds", "write_fold_cards"]),
        ({"push_to_hub": True, "resume_from_checkpoint": "true"}, "cv", ["push_to_hub", "resume_from_checkpoint"]),
        ({"push_to_hub": False, "num_folds": None}, "cv", []),  # null / false asks for nothing: no warning
        (
            {"test_corpus": "synthetic", "num_validation_speakers": 2, "test_size": 0.3},
            "cv",
            ["num_validation_speakers", "test_size"],
        ),
        ({"test_size": 0.3, "num_folds": 4}, "cv", ["test_size"]),
    ],
)
def test_keys_a_command_does_not_use_are_named_in_a_warning(config, command, named, tmp_path):
    corpus = "folder" if config.get("test_corpus") else "synthetic"
    args = build_arguments({"corpus": corpus, "output_dir": str(tmp_path), **config}, command)
    assert [note.split("=")[0] for note in args.notes] == named
    assert all("does not apply" in note for note in args.notes)


def test_impossible_values_are_refused_before_any_audio_is_read(tmp_path):
    base = {"output_dir": str(tmp_path), "data_dir": str(tmp_path / "nowhere")}
    with pytest.raises(ValueError, match="classes='surprise': emodb has no surprise"):
        build_arguments({**base, "corpus": "emodb", "classes": "surprise"})
    with pytest.raises(ValueError, match="corpus='emodbb'"):
        build_arguments({**base, "corpus": "emodbb"})
    with pytest.raises(ValueError, match="data_dir serves one corpus"):
        build_arguments({**base, "corpus": "emodb+ravdess", "classes": "4class"})
    with pytest.raises(ValueError, match="speaker_normalization"):
        build_arguments({**base, "corpus": "synthetic", "speaker_normalization": "speaker_z"}, "train")


def test_model_keys_the_chosen_front_end_or_head_never_reads_are_named_in_a_warning(tmp_path):
    config = {"corpus": "synthetic", "output_dir": str(tmp_path), "frontend": "logmel", "n_mfcc": 20, "head": "lstm"}
    notes = build_arguments({**config, "head_channels": [8], "bidirectional": False}).notes
    assert [n.split("=")[0] for n in notes] == ["n_mfcc", "head_channels"]
    assert "does not apply to frontend='logmel'" in notes[0] and "does not apply to head='lstm'" in notes[1]
