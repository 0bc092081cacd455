"""Recipes, command-line overrides, and the learning-rate schedules."""

import pytest

from mnist_cnn.config import RECIPES, get_recipe
from mnist_cnn.models.architectures import ARCHITECTURES, Conv, Dense, Dropout, MaxPool, trainable_parameter_counts
from mnist_cnn.training.loop import epoch_batches, split_indices
from mnist_cnn.training.schedules import Plateau, one_cycle


def test_every_recipe_is_valid_and_named_after_its_arch():
    for name, config in RECIPES.items():
        config.validate()
        assert config.recipe == name and config.arch in ARCHITECTURES


def test_recipes_match_their_published_descriptions():
    kids = get_recipe("kids")
    assert (kids.epochs, kids.batch_size, kids.lr, kids.val_split, kids.optimizer) == (3, 64, 1e-3, 0.2, "adam")
    convs = [layer for layer in kids.spec.layers if isinstance(layer, Conv)]
    assert [(c.filters, c.kernel, c.padding) for c in convs] == [(16, 3, "same"), (32, 3, "same")]
    lab7 = get_recipe("lab7")
    assert (lab7.epochs, lab7.batch_size, lab7.val_split) == (3, 128, 0.1)
    assert [(c.filters, c.padding) for c in lab7.spec.layers if isinstance(c, Conv)] == [(32, "valid"), (64, "valid")]
    tutorial = get_recipe("tutorial")
    assert (tutorial.epochs, tutorial.batch_size, tutorial.schedule, tutorial.plateau_factor) == (30, 86, "plateau", 0.5)
    assert [layer.rate for layer in tutorial.spec.layers if isinstance(layer, Dropout)] == [0.25, 0.25, 0.5]
    mlp = get_recipe("mlp")
    assert [d.units for d in mlp.spec.layers if isinstance(d, Dense)] == [128, 128, 10]
    assert not any(isinstance(layer, (Conv, MaxPool)) for layer in mlp.spec.layers)
    # lab7 by hand: conv 3*3*1*32+32=320, conv 3*3*32*64+64=18496, dense 1600*128+128=204928, 1290
    assert sum(trainable_parameter_counts(lab7.spec)) == 320 + 18496 + 204928 + 1290


def test_overrides_and_their_validation():
    config = get_recipe("fast").with_overrides(epochs=5, lr=None, seed=3)
    assert (config.epochs, config.lr, config.seed) == (5, get_recipe("fast").lr, 3)
    with pytest.raises(ValueError, match="validation split"):
        get_recipe("fast").with_overrides(val_split=1.5)
    with pytest.raises(ValueError, match="unknown recipe 'nope'"):
        get_recipe("nope")


def test_one_cycle_warms_up_peaks_and_anneals():
    total, peak = 1000, 0.01
    rates = [one_cycle(step, total, peak) for step in range(total)]
    assert rates[0] == pytest.approx(peak / 25)
    assert max(rates) == pytest.approx(peak)
    assert rates.index(max(rates)) == 250
    assert rates[-1] == pytest.approx(peak / 25 / 1e4)
    assert all(a >= b for a, b in zip(rates[250:], rates[251:]))


def test_plateau_halves_after_patience():
    plateau = Plateau(lr=1.0, patience=2, factor=0.5, min_lr=0.1)
    assert [plateau.update(a) for a in (0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7)] == \
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1]


def test_split_and_batches_are_seeded_and_complete():
    split = split_indices(1000, 0.1, seed=1)
    assert len(split.val_index) == 100 and len(split.train_index) == 900
    assert set(split.val_index).isdisjoint(split.train_index)
    assert split_indices(1000, 0.1, seed=1).val_index.tolist() == split.val_index.tolist()
    assert split_indices(1000, 0.1, seed=2).val_index.tolist() != split.val_index.tolist()
    batches = epoch_batches(900, 128, seed=1, epoch=0)
    assert [len(b) for b in batches] == [128] * 7 + [4]
    assert sorted(int(i) for b in batches for i in b) == list(range(900))
    assert epoch_batches(900, 128, 1, 1)[0].tolist() != batches[0].tolist()


def test_one_cycle_warm_up_rises_along_a_half_cosine_and_the_last_steps_still_fall():
    total, peak = 1000, 0.01
    rates = [one_cycle(step, total, peak) for step in range(total)]
    assert all(a < b for a, b in zip(rates[:250], rates[1:251]))  # warm-up: strictly rising
    assert rates[125] == pytest.approx((peak / 25 + peak) / 2)     # half way up at half the warm-up
    assert rates[-2] > rates[-1]                                   # the final rate only at the last step


def test_one_cycle_on_runs_of_three_and_four_steps():
    # a tiny --train-limit: one warm-up step, then the anneal reaches the final rate on the last step
    initial, final = 1.0 / 25, 1.0 / 25 / 1e4
    assert [one_cycle(s, 3, 1.0) for s in range(3)] == pytest.approx([initial, 1.0, final])
    assert [one_cycle(s, 4, 1.0) for s in range(4)] == pytest.approx([initial, 1.0, (1.0 + final) / 2, final])
