"""`hf-ser train --help` / `hf-ser cv --help`: one screen, every key named is a real recipe key."""

from __future__ import annotations

from hf_ser.training import usage
from hf_ser.training.config import _field_types, recipes_dir


def test_every_key_in_the_short_help_is_a_recipe_key():
    known = _field_types()
    named = [key for _, keys in [*usage.TRAIN_GROUPS, usage.CV_GROUP] for key, _, _ in keys]
    assert [k for k in named if k not in known] == []
    assert len(named) == len(set(named))


def test_short_help_fits_one_screen_and_lists_the_shipped_recipes(capsys):
    usage.print_train_help()
    train = capsys.readouterr().out
    usage.print_cv_help()
    cv = capsys.readouterr().out
    for text in (train, cv):
        assert len(text.splitlines()) < 60 and max(len(line) for line in text.splitlines()) <= 110
        assert "--help-all" in text and "--output_dir" in text
    assert "--num_folds" in cv and "--num_folds" not in train
    shipped = {p.stem for p in (recipes_dir() / "emodb").glob("*.yaml")}
    assert shipped and all(name in train for name in shipped)


def test_no_recipe_is_a_usage_error(capsys):
    from hf_ser.training import cv, run

    assert run.main([]) == 2 and "a recipe is required" in capsys.readouterr().err
    assert cv.main([]) == 2 and "usage: hf-ser cv" in capsys.readouterr().err
