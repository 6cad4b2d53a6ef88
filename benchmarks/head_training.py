"""One epoch of head training: hf-ser on cached frozen-encoder features vs the HF reference way, same run.

Reference: ``AutoModelForAudioClassification`` (a ``Wav2Vec2ForSequenceClassification``) with its
encoder frozen (``freeze_feature_encoder`` + ``freeze_base_model``), trained through ``Trainer``
on waveforms normalised by ``Wav2Vec2FeatureExtractor`` and padded by Trainer's default collator: the frozen encoder
recomputes every clip's features at every step. hf-ser: the same encoder (same config, the
reference's own random weights copied in) run once per clip into the on-disk feature cache
(``hf_ser.training.cache``), then ``SERTrainer`` trains the head on the cached features, as
``hf-ser cv`` does in every fold. Same clips, same batch size, the same head shape (768 -> 256
frame-wise projection, mean over frames, 256 -> classes; hf-ser's MLP head puts a ReLU after the
projection, HF's has none). The encoder is the wav2vec2-base shape (``Wav2Vec2Config()``: 12
layers, hidden 768, 95M parameters), random weights built from the config (no download).

Agreement: the cached features of each clip equal the reference encoder's output for that clip
(eval mode, clip alone) within float16 storage precision, printed beside the ratio.
``ratio:`` = reference epoch time / hf-ser epoch time on the cache (the one-off cache fill is
printed too; it costs about one reference epoch, paid once per corpus, not per epoch or fold).

    python benchmarks/head_training.py [--quick] [--clips N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
from common import EMODB, SR, load_clips, machine, print_ratio, print_table, quiet_libraries, timed

# name -> (description, Wav2Vec2Config overrides). "base" is wav2vec2-base (the config's defaults); "small" keeps
# its layout at a fifth of the compute (for --quick: base needs ~2 s per second of audio on 2 shared cores).
ENCODERS = {
    "base": ("wav2vec2-base shape (Wav2Vec2Config(): 12 layers, hidden 768, 7 conv layers of 512)", {}),
    "small": (
        "reduced wav2vec2 (4 layers, hidden 384, 7 conv layers of 256)",
        {
            "hidden_size": 384,
            "num_hidden_layers": 4,
            "num_attention_heads": 6,
            "intermediate_size": 1536,
            "conv_dim": (256,) * 7,
        },
    ),
}


def epoch_seconds(trainer) -> float:
    """Seconds from the epoch's start to its end inside ``trainer.train()`` (Trainer's set-up, the same on both
    sides, left out), with Trainer's own printing of the final metrics switched off."""
    from transformers import PrinterCallback, TrainerCallback

    class EpochTimer(TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_epoch_end(self, args, state, control, **kwargs):
            self.seconds = time.perf_counter() - self.start

    timer = EpochTimer()
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(timer)
    trainer.train()
    return timer.seconds


def reference_epoch(ref_model, clips, batch_size: int, workdir: str) -> float:
    """Seconds of ``Trainer.train()`` for one epoch of the HF way (features recomputed every step)."""
    import datasets
    from transformers import Trainer, TrainingArguments, Wav2Vec2FeatureExtractor

    fe = Wav2Vec2FeatureExtractor(sampling_rate=SR, do_normalize=True, return_attention_mask=False)
    ds = datasets.Dataset.from_dict({"input_values": [w.tolist() for w in clips.waves], "label": clips.labels})

    def transform(batch):  # run_audio_classification.py's set_transform step
        out = fe(batch["input_values"], sampling_rate=SR)
        return {"input_values": out["input_values"], "label": batch["label"]}

    args = TrainingArguments(
        output_dir=f"{workdir}/reference",
        per_device_train_batch_size=batch_size,
        num_train_epochs=1,
        use_cpu=True,
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="no",
        report_to=[],
        disable_tqdm=True,
        seed=0,
    )
    trainer = Trainer(model=ref_model, args=args, train_dataset=ds.with_transform(transform), processing_class=fe)
    return epoch_seconds(trainer)


def hf_ser_model(ref_model, num_labels: int):
    """An hf-ser encoder model with the reference's encoder config and weights and the same head shape."""
    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    config = SERConfig(
        frontend="encoder",
        encoder_config=ref_model.config.to_dict(),
        freeze_encoder=True,
        layer_combination="none",
        head="mlp",
        head_num_layers=1,
        head_hidden_size=ref_model.config.classifier_proj_size,
        head_dropout=0.0,
        pooling="mean",
        num_labels=num_labels,
    )
    model = SERForAudioClassification(config)
    model.encoder.load_state_dict(ref_model.wav2vec2.state_dict())
    return model, feature_extractor_for(model.config)


def cached_epoch(model, cache, keys, labels, batch_size: int, workdir: str) -> float:
    """Seconds of ``SERTrainer.train()`` for one epoch on cached features (what each ``hf-ser cv`` fold runs)."""
    import datasets
    from transformers import TrainingArguments

    from hf_ser.training.cache import cached_collator_factory
    from hf_ser.training.trainer import SERTrainer

    train_collator, _ = cached_collator_factory(cache)(model, None)
    args = TrainingArguments(
        output_dir=f"{workdir}/hf_ser",
        per_device_train_batch_size=batch_size,
        num_train_epochs=1,
        use_cpu=True,
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="no",
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        seed=0,
    )
    ds = datasets.Dataset.from_dict({"feature_key": keys, "emotion": labels})
    trainer = SERTrainer(model=model, args=args, train_dataset=ds, data_collator=train_collator)
    return epoch_seconds(trainer)


def feature_agreement(ref_model, cache, keys, clips, count: int) -> float:
    """Largest |cached - reference| over ``count`` clips, relative to the features' largest magnitude."""
    import torch
    from transformers import Wav2Vec2FeatureExtractor

    fe = Wav2Vec2FeatureExtractor(sampling_rate=SR, do_normalize=True, return_attention_mask=False)
    ref_model.eval()
    worst = 0.0
    with torch.no_grad():
        for key, wave in list(zip(keys, clips.waves, strict=True))[:count]:
            x = torch.tensor(fe(wave, sampling_rate=SR)["input_values"][0])[None]
            ref = ref_model.wav2vec2(x).last_hidden_state[0].numpy()
            ours = cache.load(key).astype(np.float32)
            if ours.shape != ref.shape:
                raise SystemExit(f"cached features have shape {ours.shape}, the reference {ref.shape}")
            worst = max(worst, float(np.abs(ours - ref).max() / np.abs(ref).max()))
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 clips and the small encoder: under a minute")
    parser.add_argument("--clips", type=int, default=None, help="number of clips (default 64, --quick 8)")
    parser.add_argument("--encoder", choices=sorted(ENCODERS), default=None, help="default base, --quick small")
    parser.add_argument("--corpus", default=str(EMODB), help="EMO-DB folder (synthetic clips when it is missing)")
    parser.add_argument("--batch_size", type=int, default=8)
    args = parser.parse_args()
    quiet_libraries()
    import torch
    from transformers import AutoModelForAudioClassification, Wav2Vec2Config

    from hf_ser.training.cache import FeatureCache, audio_key

    clips = load_clips(args.clips or (8 if args.quick else 64), args.corpus)
    torch.manual_seed(0)
    encoder = args.encoder or ("small" if args.quick else "base")
    ref_config = Wav2Vec2Config(num_labels=len(clips.label_names), **ENCODERS[encoder][1])
    ref_model = AutoModelForAudioClassification.from_config(ref_config)
    # Both freezes: freeze_base_model alone leaves the conv feature encoder marking its output as requiring
    # grad (for gradient checkpointing), and backward then runs through the whole frozen encoder.
    ref_model.freeze_feature_encoder()
    ref_model.freeze_base_model()
    model, fe = hf_ser_model(ref_model, len(clips.label_names))
    n_params = sum(p.numel() for p in ref_model.parameters()) / 1e6

    with tempfile.TemporaryDirectory() as workdir:
        cache = FeatureCache.for_model(model, cache_dir=f"{workdir}/cache")
        cells = [{"bytes": b, "path": None} for b in clips.wav_bytes]
        keys = [audio_key(c) for c in cells]
        fill, _ = timed(
            lambda: cache.compute(model, fe, cells, keys, sampling_rate=SR, batch_size=args.batch_size, progress=False)
        )
        ours = cached_epoch(model, cache, keys, clips.labels, args.batch_size, workdir)
        reference = reference_epoch(ref_model, clips, args.batch_size, workdir)
        deviation = feature_agreement(ref_model, cache, keys, clips, count=4)

    print(f"{clips.source}, {clips.seconds:.0f} s of audio, batch {args.batch_size}; {machine()}")
    hidden, proj = ref_config.hidden_size, ref_config.classifier_proj_size
    print(
        f"encoder: {ENCODERS[encoder][0]}, {n_params:.0f}M parameters, random weights; "
        f"head {hidden} -> {proj} -> mean over frames -> {len(clips.label_names)} classes"
    )
    print_table(
        ["step", "seconds", "per clip (ms)"],
        [
            ["HF reference: one epoch, frozen encoder recomputed every step", f"{reference:.2f}",
             f"{1000 * reference / len(clips.waves):.1f}"],
            ["hf-ser: one epoch of the head on cached features", f"{ours:.3f}",
             f"{1000 * ours / len(clips.waves):.2f}"],
            ["hf-ser: feature cache fill (once per corpus, all epochs and folds)", f"{fill:.2f}",
             f"{1000 * fill / len(clips.waves):.1f}"],
        ],
    )  # fmt: skip
    ok = deviation < 5e-3
    print(f"features agree: max |cached - reference| / max |reference| = {deviation:.1e} over 4 clips "
          f"(float16 cache; tolerance 5e-3): {'yes' if ok else 'NO'}")  # fmt: skip
    if not ok:
        print("the cached features differ from the reference encoder's: no ratio is claimed")
        return 1
    print_ratio(reference / ours, "reference epoch / hf-ser epoch on cached features")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
