"""Saving and loading: round trips, and one clear error for every wrong file."""

import numpy as np
import pytest
import torch

from mnist_cnn.backends import ModelFileError, get_backend
from mnist_cnn.models.architectures import FAST, MLP
from mnist_cnn.models.weights import initial_weights
from mnist_cnn.runs import resolve_model, sniff_model_format


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    torch_clf = get_backend("torch").build(FAST, initial_weights(FAST, 1))
    keras_clf = get_backend("keras").build(FAST, initial_weights(FAST, 1))
    torch_clf.save(folder / "model.pt")
    keras_clf.save(folder / "model.keras")
    return folder, torch_clf, keras_clf


@pytest.mark.parametrize("framework, name", [("torch", "model.pt"), ("keras", "model.keras")])
def test_round_trip_gives_identical_predictions(saved, mnist, framework, name):
    folder, torch_clf, keras_clf = saved
    original = torch_clf if framework == "torch" else keras_clf
    loaded = get_backend(framework).load(folder / name)
    assert loaded.spec == FAST
    images = mnist.test_images[:200]
    np.testing.assert_array_equal(loaded.predict_proba(images), original.predict_proba(images))
    assert sorted(p.name for p in folder.iterdir()) == ["model.keras", "model.pt"]  # no temp files left


def test_format_is_read_from_the_content_not_the_name(saved, tmp_path):
    folder, *_ = saved
    disguised = tmp_path / "actually-keras.pt"
    disguised.write_bytes((folder / "model.keras").read_bytes())
    assert sniff_model_format(disguised) == "keras"
    assert sniff_model_format(folder / "model.pt") == "torch"


def test_other_framework_is_named_in_the_error(saved, tmp_path):
    folder, *_ = saved
    with pytest.raises(ModelFileError, match=r"model\.keras: is a keras model, but --framework torch"):
        resolve_model(str(folder / "model.keras"), "torch", tmp_path)
    with pytest.raises(ModelFileError, match="model.pt: not a loadable Keras model file"):
        get_backend("keras").load(folder / "model.pt")
    with pytest.raises(ModelFileError, match="model.keras: not a loadable PyTorch model file"):
        get_backend("torch").load(folder / "model.keras")


def test_corrupt_and_missing_files(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ModelFileError, match="junk.pt: not a model file"):
        sniff_model_format(junk)
    with pytest.raises(ModelFileError, match="junk.pt: not a loadable PyTorch model file"):
        get_backend("torch").load(junk)
    with pytest.raises(ModelFileError, match="nothing.keras: no such"):
        get_backend("keras").load(tmp_path / "nothing.keras")
    with pytest.raises(ModelFileError, match="no such file"):
        resolve_model(str(tmp_path / "nothing.pt"), None, tmp_path)
    with pytest.raises(ModelFileError, match="no complete torch run"):
        resolve_model("latest", "torch", tmp_path)


def test_truncated_model_file_is_refused(saved, tmp_path):
    folder, *_ = saved
    for name, framework in (("model.pt", "torch"), ("model.keras", "keras")):
        cut = tmp_path / name
        blob = (folder / name).read_bytes()
        cut.write_bytes(blob[: len(blob) // 2])
        with pytest.raises(ModelFileError, match=name):
            get_backend(framework).load(cut)


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/mnist-cnn-pwned",))


def test_hostile_pickle_is_never_executed(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "mnist-cnn/torch", "payload": _Evil()}, evil)
    with pytest.raises(ModelFileError, match="evil.pt: not a loadable PyTorch model file"):
        get_backend("torch").load(evil)
    import os
    assert not os.path.exists("/tmp/mnist-cnn-pwned")


def test_foreign_torch_file_is_refused(tmp_path):
    plain = tmp_path / "weights.pt"
    torch.save({"fc.weight": torch.zeros(2, 2)}, plain)
    with pytest.raises(ModelFileError, match="not an mnist-cnn model"):
        get_backend("torch").load(plain)


def test_keras_safe_mode_refuses_lambda_layers(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="lambda.keras"):
        get_backend("keras").load(path)


def test_mismatched_state_dict_is_refused(tmp_path):
    clf = get_backend("torch").build(MLP, initial_weights(MLP, 0))
    path = tmp_path / "m.pt"
    clf.save(path)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"].pop(next(iter(payload["state_dict"])))
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="damaged or does not match"):
        get_backend("torch").load(path)
