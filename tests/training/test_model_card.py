"""The model card renders the run's facts: golden pattern on a fixed card, metadata, packaging."""

import re

import yaml

from hf_ser.model_card import SERModelCardData, load_template, render_model_card

LABELS = ["neutral", "happiness", "sadness", "anger"]
METRICS = {
    "test_uar": 0.73449,
    "test_accuracy": 0.7,
    "test_macro_f1": 0.6912,
    "test_per_class_recall": {"neutral": 0.9, "happiness": 0.5, "sadness": 0.8, "anger": 0.7379},
    "test_support": {"neutral": 10, "happiness": 10, "sadness": 10, "anger": 10},
    "test_confusion_matrix": [[9, 1, 0, 0], [3, 5, 0, 2], [2, 0, 8, 0], [0, 3, 0, 7]],
    "test_num_samples": 40,
}

# Golden pattern (setfit-style): the lines a card must contain, in order, with the values rendered.
PATTERN = [
    r"^---$",
    r"^license: cc-by-nc-sa-4\.0$",
    r"^pipeline_tag: audio-classification$",
    r"^model-index:$",
    r"^\s+value: 0\.7345$",
    r"^---$",
    r"^# ravdess-mfcc-cnn$",
    r"\*\*\[RAVDESS \(speech\)\]\(https://zenodo\.org/records/1188976\)\*\*",
    r"^- \*\*Model:\*\* 40 MFCC → cnn head$",
    r"^- \*\*Parameters:\*\* 12,345 \(12,345 trained\)$",
    r"^Protocol: \*\*speaker-independent train/validation/test split\*\*",
    r"^\| test \| 2 \| 40 \|$",
    r"^Test speakers: ravdess_01, ravdess_02\.$",
    r"^\| UAR \(unweighted average recall, balanced accuracy\) \| \*\*0\.734\*\* \|$",
    r"^\| WA \(weighted accuracy = accuracy\) \| 0\.700 \|$",
    r"^\| macro-F1 \| 0\.691 \|$",
    r"^\| validation UAR \(best checkpoint\) \| 0\.650 \|$",
    r"^\| chance UAR \| 0\.250 \|$",
    r"^\| anger \| 0\.738 \| 10 \|$",
    r"^!\[confusion matrix\]\(confusion_matrix\.png\)$",
    r"^\| true \\ predicted \| neutral \| happiness \| sadness \| anger \|$",
    r"^\| \*\*neutral\*\* \| 9 \| 1 \| 0 \| 0 \|$",
    r'pipeline\("audio-classification", model="me/ravdess-mfcc-cnn", trust_remote_code=True\)',
    r"^## Intended use and limitations$",
    r"acted",
    r"^\| learning_rate \| 0\.001 \|$",
    r"^\| head_channels \| 64, 128 \|$",
    r"^Training took 42\.0 s on 1 CPU process\.$",
    r"^- transformers ",
    r"^### Corpus citation$",
    r"Livingstone",
]


def card_data(**overrides):
    values = dict(
        model_name="ravdess-mfcc-cnn",
        corpus="ravdess",
        labels=LABELS,
        metrics=METRICS,
        repo_id="me/ravdess-mfcc-cnn",
        split_table=[
            {"split": "train", "speakers": 19, "clips": 300},
            {"split": "validation", "speakers": 3, "clips": 60},
            {"split": "test", "speakers": 2, "clips": 40},
        ],
        test_speakers=["ravdess_01", "ravdess_02"],
        validation_uar=0.65,
        model_summary="40 MFCC → cnn head",
        num_parameters=12345,
        num_trainable_parameters=12345,
        hyperparameters={"learning_rate": 0.001, "head_channels": [64, 128]},
        train_runtime=42.0,
        hardware="1 CPU process",
        versions={"transformers": "5.x", "torch": "2.x"},
    )
    values.update(overrides)
    return SERModelCardData(**values)


def test_golden_pattern():
    card = render_model_card(card_data())
    lines = card.splitlines()
    pos = 0
    for pattern in PATTERN:
        regex = re.compile(pattern)
        while pos < len(lines) and not regex.search(lines[pos]):
            pos += 1
        assert pos < len(lines), f"pattern {pattern!r} not found (in order) in the card:\n{card}"
        pos += 1


def test_metadata_is_valid_yaml_with_model_index():
    card = render_model_card(card_data())
    header = card.split("---")[1]
    meta = yaml.safe_load(header)
    assert meta["language"] == ["en"]
    assert "datasets" not in meta  # no corpus is a Hub dataset: the Hub would link a page that does not exist
    result = meta["model-index"][0]["results"][0]
    assert result["dataset"]["type"] == "ravdess" and result["dataset"]["split"] == "test"
    values = {m["name"]: m["value"] for m in result["metrics"]}
    assert values == {"Test UAR": 0.7345, "Test WA": 0.7, "Test macro-F1": 0.6912}


def test_acceptance_uar_string_is_in_the_card():
    card = render_model_card(card_data())
    assert "uar" in card.lower() and f"{METRICS['test_uar']:.3f}"[:4] in card


def test_synthetic_card_says_not_speech_and_encoder_card_links_base_model():
    card = render_model_card(card_data(corpus="synthetic", base_model="facebook/wav2vec2-base"))
    assert "synthetic" in card and "not real speech" in card
    assert "base_model: facebook/wav2vec2-base" in card
    assert "https://huggingface.co/facebook/wav2vec2-base" in card


def test_template_ships_in_the_package_and_matches_repo_copy():
    from pathlib import Path

    repo_copy = Path(__file__).resolve().parents[2] / "model_cards" / "template.md"
    assert load_template() == repo_copy.read_text(encoding="utf-8")
    assert "{{ card_data }}" in load_template()


def test_card_names_the_encoder_and_its_licence_for_hub_ids_and_local_folders(tmp_path):
    hub = render_model_card(card_data(base_model="openai/whisper-base", base_model_type="whisper"))
    assert "base_model: openai/whisper-base" in hub
    assert "[openai/whisper-base](https://huggingface.co/openai/whisper-base) (whisper); weights licence: MIT" in hub
    local = render_model_card(card_data(base_model=str(tmp_path), base_model_type="whisper"))
    assert "base_model:" not in local  # a local path is not a Hub id: no broken metadata link
    assert f"`{tmp_path}` (local folder) (whisper); weights licence: MIT" in local
    unknown = render_model_card(card_data(base_model="someone/encoder", base_model_type="wavlm"))
    assert "weights licence: see the encoder's model page" in unknown


def test_card_says_a_file_path_needs_ffmpeg_and_shows_the_way_without_it():
    card = render_model_card(card_data())
    assert "ffmpeg" in card and 'classifier({"raw": wave.mean(axis=1), "sampling_rate": sr})' in card


def test_a_trained_models_own_save_pretrained_writes_its_card_and_push_to_hub_uploads_it(tmp_path, fake_hub):
    """The card travels with the model (setfit's way): not only `hf-ser train`'s output folder has it."""
    import sys
    from pathlib import Path

    from transformers import TrainerCallback

    from hf_ser.training import run
    from hf_ser.training.config import parse_arguments

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recipes"))
    from recipe_utils import ROOT, tiny_args

    kept = []

    class KeepModel(TrainerCallback):
        def on_train_end(self, args, state, control, model=None, **kwargs):
            kept.append(model)

    recipe = str(ROOT / "recipes" / "synthetic" / "default.yaml")
    results = run.train(parse_arguments([recipe, "--output_dir", str(tmp_path / "run"), *tiny_args()]), [KeepModel()])
    model = kept[0]
    model.save_pretrained(tmp_path / "mine")
    card = (tmp_path / "mine" / "README.md").read_text(encoding="utf-8")
    assert card == (tmp_path / "run" / "README.md").read_text(encoding="utf-8")
    assert f"**{results['test_uar']:.3f}**" in card and "model-index" in card
    assert model.push_to_hub("me/ser-card", private=True) == "me/ser-card"
    assert [c[0] for c in fake_hub] == ["init", "create_repo", "upload_folder"]
    assert fake_hub[1] == ("create_repo", "me/ser-card", True, True)
    uploaded = fake_hub[2][4]
    assert uploaded["README.md"].decode("utf-8") == card  # the model's own card, not transformers' generic one
    assert {"model.safetensors", "config.json", "modeling.py"} <= set(uploaded)
