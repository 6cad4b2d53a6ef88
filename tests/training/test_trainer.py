"""Class weighting, balanced sampling and the weighted loss of SERTrainer."""

import numpy as np
import pytest
import torch

from hf_ser.training.trainer import (
    EpochSeededWeightedSampler,
    balanced_class_weights,
    balanced_sample_weights,
)


def test_balanced_class_weights_by_hand():
    # 6 clips: class 0 x4, class 1 x2, class 2 absent -> n / (k * n_c) over the 2 present classes
    w = balanced_class_weights([0, 0, 0, 0, 1, 1], 3)
    assert w.tolist() == pytest.approx([6 / (2 * 4), 6 / (2 * 2), 0.0])


def test_balanced_sample_weights_equalise_classes():
    labels = [0, 0, 0, 1]
    w = np.asarray(balanced_sample_weights(labels))
    assert w[:3].sum() == pytest.approx(w[3:].sum())


def test_epoch_seeded_sampler_is_reproducible_per_epoch():
    weights = balanced_sample_weights([0] * 90 + [1] * 10)
    s = EpochSeededWeightedSampler(weights, 100, seed=1)
    first = list(s)
    assert list(s) == first and len(first) == 100
    s.set_epoch(1)
    assert list(s) != first
    s.set_epoch(0)
    assert list(s) == first
    # minority class drawn about as often as the majority
    assert 30 < sum(i >= 90 for i in first) < 70


def test_the_model_owns_the_one_loss_and_its_saved_config_records_the_class_weights(tmp_path):
    from hf_ser.modeling import SERConfig, SERForAudioClassification
    from hf_ser.training.trainer import SERTrainer

    torch.manual_seed(0)
    model = SERForAudioClassification(SERConfig(num_labels=2, label_smoothing=0.1, head_num_layers=0)).eval()
    model.set_class_weights([0.5, 2.0])
    features = torch.randn(3, 4, model.config.feature_dim)
    labels = torch.tensor([0, 1, 1])
    out = model(frontend_features=features, labels=labels)
    weights = torch.tensor([0.5, 2.0])
    expected = torch.nn.functional.cross_entropy(out.logits, labels, weight=weights, label_smoothing=0.1)
    assert out.loss.item() == pytest.approx(expected.item())
    trainer = SERTrainer.__new__(SERTrainer)  # only compute_loss is exercised: it is the model's loss
    loss = trainer.compute_loss(model, {"frontend_features": features, "labels": labels})
    assert loss.item() == pytest.approx(out.loss.item())
    model.config.save_pretrained(tmp_path)
    saved = SERConfig.from_pretrained(tmp_path)
    assert saved.class_weights == [0.5, 2.0] and saved.label_smoothing == 0.1


def test_epoch_seeded_dataset_seeds_survive_the_dataloader():
    """torch's DataLoader fetches batches via __getitems__: the per-clip seeds must still be there, and
    depend on (seed, epoch, index) only."""
    import datasets
    from torch.utils.data import DataLoader

    from hf_ser.training.trainer import EpochSeededDataset

    base = datasets.Dataset.from_dict({"x": list(range(6))})
    ds = EpochSeededDataset(base, seed=3)
    rows = next(iter(DataLoader(ds, batch_size=6, collate_fn=list)))
    seeds = [r[EpochSeededDataset.SEED_KEY] for r in rows]
    assert len(set(seeds)) == 6 and [r["x"] for r in rows] == list(range(6))
    assert ds[2][EpochSeededDataset.SEED_KEY] == seeds[2]
    ds.set_epoch(1)
    assert ds[2][EpochSeededDataset.SEED_KEY] != seeds[2]
    assert ds.column_names == ["x"] and len(ds) == 6


def test_epoch_seeded_dataset_reads_scalar_rows_once_and_audio_rows_lazily():
    import datasets

    from hf_ser.training.trainer import EpochSeededDataset

    rows = {"feature_key": ["a", "b", "c"], "emotion": [0, 2, 1]}
    base = datasets.Dataset.from_dict(
        rows,
        features=datasets.Features(
            {"feature_key": datasets.Value("string"), "emotion": datasets.ClassLabel(names=["n", "h", "s"])}
        ),
    )
    ds = EpochSeededDataset(base, seed=0)
    assert ds._rows == base.to_list()  # cached-feature rows: in memory, read once
    assert [{k: ds[i][k] for k in rows} for i in range(3)] == base.to_list()
    audio = base.add_column("audio", [{"bytes": b"x", "path": None}] * 3)
    audio = audio.cast_column("audio", datasets.Audio(decode=False))
    assert EpochSeededDataset(audio, seed=0)._rows is None  # audio stays on disk until a batch needs it
