"""Devices, precision and the multi-process bookkeeping, without starting several processes.

(tests/test_distributed.py starts them for real.)
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from mnist_cnn import launch
from mnist_cnn.runtime import (DeviceError, DistributedError, Runtime, World, check_shardable, keras_world,
                               parse_device, parse_precision, shard, threads_per_process, torch_world)
from tests.conftest import help_in_fresh_process, run_cli


def test_device_names_are_normalised_and_checked():
    assert parse_device("CUDA:1") == "cuda:1"
    assert parse_device(" auto ") == "auto"
    for bad in ("gpu", "cuda:", "cuda:x", "cuda1", "tpu", ""):
        with pytest.raises(ValueError, match="unknown device"):
            parse_device(bad)
    assert parse_precision("BF16") == "bf16"
    with pytest.raises(ValueError, match="unknown precision"):
        parse_precision("int8")


def test_torchrun_environment_gives_the_world():
    assert torch_world({}) == World()
    world = torch_world({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"})
    assert (world.rank, world.size, world.local_rank, world.local_size, world.launcher) == (3, 4, 1, 2, "torchrun")
    assert world.distributed and not world.is_chief
    with pytest.raises(DistributedError, match="outside"):
        torch_world({"RANK": "2", "WORLD_SIZE": "2"})
    with pytest.raises(DistributedError, match="not numbers"):
        torch_world({"RANK": "a", "WORLD_SIZE": "2"})


def _tf_config(cluster: dict, kind: str, index: int) -> dict:
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": kind, "index": index}})}


def test_tf_config_gives_the_world_with_the_chief_as_rank_0():
    assert keras_world({}) == World()
    cluster = {"chief": ["a:1"], "worker": ["a:2", "b:1", "b:2"]}
    chief = keras_world(_tf_config(cluster, "chief", 0))
    assert (chief.rank, chief.size, chief.local_rank, chief.local_size) == (0, 4, 0, 2)
    last = keras_world(_tf_config(cluster, "worker", 2))
    assert (last.rank, last.local_rank, last.local_size, last.launcher) == (3, 1, 2, "TF_CONFIG")
    # without a chief, worker 0 is rank 0 and writes the run
    assert keras_world(_tf_config({"worker": ["h:1", "h:2"]}, "worker", 0)).is_chief


def test_tf_config_mistakes_are_one_line_errors():
    with pytest.raises(DistributedError, match="not valid"):
        keras_world({"TF_CONFIG": "{not json"})
    with pytest.raises(DistributedError, match="ps"):
        keras_world(_tf_config({"worker": ["h:1"], "ps": ["h:2"]}, "worker", 0))
    with pytest.raises(DistributedError, match="not in its cluster"):
        keras_world(_tf_config({"worker": ["h:1", "h:2"]}, "worker", 2))


def test_processes_of_one_machine_split_its_cores():
    assert threads_per_process(World(size=2, local_size=2), cpu_count=2) == 1
    assert threads_per_process(World(size=4, local_size=2), cpu_count=16) == 8
    assert threads_per_process(World(), cpu_count=2) == 2
    assert threads_per_process(World(size=8, local_size=8), cpu_count=2) == 1


@pytest.mark.parametrize("size,replicas", [(128, 2), (81, 2), (7, 3), (40, 4)])
def test_replicas_share_each_global_batch_exactly(size, replicas):
    batch = np.random.default_rng(size).permutation(1000)[:size]
    parts = [shard(batch, r, replicas) for r in range(replicas)]
    assert sorted(np.concatenate(parts).tolist()) == sorted(batch.tolist())  # every image once, none twice
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_every_replica_must_get_part_of_every_batch():
    check_shardable(57_000, 128, 2)  # the fast recipe's real sizes: last batch 40
    check_shardable(5, 1, 1)  # a single process never objects
    with pytest.raises(ValueError, match="last batch of each epoch holds 1 image"):
        check_shardable(4_993, 128, 2)  # 39 batches of 128 and one of 1
    with pytest.raises(ValueError, match="smaller than the 4 replicas"):
        check_shardable(1_000, 2, 4)


def test_runtime_is_recorded_and_described():
    runtime = Runtime(device="cuda:0", precision="bf16", rank=0, processes=2, replicas=2,
                      engine="DistributedDataParallel (nccl)", device_name="Some GPU")
    assert runtime.to_dict()["processes"] == 2 and runtime.is_chief and runtime.distributed
    assert "cuda:0 (Some GPU)" in runtime.describe() and "nccl" in runtime.describe()
    assert not Runtime().distributed and Runtime().describe() == "on cpu, fp32"


def test_the_failure_that_started_it_is_the_one_reported():
    # a killed process is the cause; the one that then lost its peer, and those stopped, are not
    assert launch.root_cause({0: 1, 1: -9}) == (1, -9)
    assert launch.root_cause({0: -15, 1: 1}) == (1, 1)
    assert launch.root_cause({0: 143, 1: 2}) == (1, 2)
    assert launch.root_cause({0: 1, 1: 1}) == (0, 1)


def test_ports_that_are_taken_are_named():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert not launch.port_is_free("127.0.0.1", port)
        with pytest.raises(DistributedError, match=f"port {port} on 127.0.0.1 is already in use"):
            launch.require_free_ports("127.0.0.1", [port])
    ports = launch.free_ports("127.0.0.1", 3)
    assert len(set(ports)) == 3 and all(launch.port_is_free("127.0.0.1", p) for p in ports)


def test_torch_devices_that_are_not_there_are_clear_errors():
    torch = pytest.importorskip("torch")
    from pytorch_impl.devices import check_precision, resolve_device

    assert resolve_device("cpu").type == "cpu"
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the no-CUDA messages cannot be checked here")
    with pytest.raises(DeviceError, match="no CUDA device is available"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="no CUDA device is available"):
        resolve_device("cuda:1")
    if not torch.backends.mps.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(DeviceError, match="MPS is not available"):
            resolve_device("mps")
    with pytest.raises(DeviceError, match="fp16: mixed precision in float16 needs a GPU"):
        check_precision("fp16", torch.device("cpu"))
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        assert check_precision("bf16", torch.device("cpu")) == "bf16"
    else:
        with pytest.raises(DeviceError, match="no bfloat16 support"):
            check_precision("bf16", torch.device("cpu"))


def test_keras_devices_that_are_not_there_are_clear_errors():
    pytest.importorskip("keras_impl.backend")
    import tensorflow as tf

    from keras_impl.devices import check_precision, resolve_device

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is present: the no-GPU messages cannot be checked here")
    assert resolve_device("auto").label == "cpu" and resolve_device("auto").tf_device is None
    with pytest.raises(DeviceError, match="no CUDA device is available to TensorFlow"):
        resolve_device("cuda:0")
    with pytest.raises(DeviceError, match="tensorflow-metal"):
        resolve_device("mps")
    with pytest.raises(DeviceError, match="fp16: mixed precision in float16 needs a GPU"):
        check_precision("fp16", resolve_device("cpu"))


def _framework_sees_a_gpu(framework: str) -> bool:
    """Asked of the framework itself, before the command under test runs."""
    if framework == "torch":
        return pytest.importorskip("torch").cuda.is_available()
    pytest.importorskip("keras_impl.backend")
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@pytest.mark.slow  # a training process (that must refuse to start) per framework
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_train_on_a_missing_gpu_says_so_in_one_line(framework, tmp_path):
    # The skip is decided by probing the machine first, never by reading the output under test:
    # a `--device cuda` that silently trains on the CPU must fail here, not skip.
    if _framework_sees_a_gpu(framework):
        pytest.skip(f"{framework} sees a CUDA device here: the missing-GPU message cannot be checked")
    # a tiny run, so that a silent fallback to the CPU finishes (and fails this test) in seconds
    result = run_cli("train", "--framework", framework, "--device", "cuda", "--recipe", "mlp", "--epochs", "1",
                     "--train-limit", "256", "--runs-dir", str(tmp_path), timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no CUDA device is available" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not any(tmp_path.iterdir())


def test_ensemble_and_several_processes_do_not_mix(tmp_path):
    result = run_cli("train", "--nproc", "2", "--ensemble", "2", "--runs-dir", str(tmp_path), timeout=60)
    assert result.returncode == 2 and "cannot be combined with several processes" in result.stderr


def test_help_still_loads_no_framework():
    result = help_in_fresh_process([["train"]], ("torch", "tensorflow"))
    assert result["exit_codes"] == [0], result
    assert "--nproc" in result["output"] and "--device" in result["output"]
    assert result["loaded"] == [], result


@pytest.mark.mnist
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_bf16_mixed_precision_trains_on_the_cpu(framework, mnist):
    """bf16 autocast (PyTorch) and the mixed_bfloat16 policy (Keras) learn, and leave float32 models."""
    from mnist_cnn.config import get_recipe
    from mnist_cnn.evaluation.predict import evaluate_classifier
    from mnist_cnn.training.loop import train_model

    if framework == "torch":
        torch = pytest.importorskip("torch")
        if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            pytest.skip("this CPU has no bfloat16 support")
    else:
        pytest.importorskip("keras_impl.backend")
    config = get_recipe("fast").with_overrides(epochs=1, train_limit=4000, val_split=0.0)
    trained = train_model(config, framework, mnist, runtime=Runtime(precision="bf16"))
    report = evaluate_classifier(trained.classifier, mnist.test_images[:2000], mnist.test_labels[:2000])
    assert np.isfinite(trained.history[0]["train_loss"])
    assert report.accuracy > 0.85  # 4,000 images, one epoch: ~92% in fp32 (2,000: ~82%)
    weights = __import__("mnist_cnn.backends", fromlist=["get_backend"]).get_backend(framework).weights(
        trained.classifier)
    assert all(array.dtype == np.float32 for layer in weights for array in layer.values())


@pytest.mark.slow  # builds and steps real trainers of both frameworks (TensorFlow compiles its step)
def test_bf16_really_computes_in_bfloat16_and_keeps_float32_weights():
    """Not only "it trains": the layers' outputs during a training step are bfloat16 (PyTorch
    autocast) and the Keras layers compute in bfloat16 over float32 variables."""
    from mnist_cnn.backends import get_backend
    from mnist_cnn.config import get_recipe
    from mnist_cnn.models.weights import initial_weights

    config = get_recipe("fast").with_overrides(batch_size=16)
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (32, 28, 28), dtype=np.uint8), rng.integers(0, 10, 32).astype(np.uint8)
    torch = pytest.importorskip("torch")
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        trainer = get_backend("torch").create_trainer(config, images, labels, initial_weights(config.spec, 0),
                                                      runtime=Runtime(precision="bf16"))
        seen = []
        for module in trainer.model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                module.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
        loss, _ = trainer.train_epoch([np.arange(16), np.arange(16, 32)], lambda step: 1e-3, lambda *a: None)
        assert np.isfinite(loss) and seen and set(seen) == {torch.bfloat16}, seen
        assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
    pytest.importorskip("keras_impl.backend")
    trainer = get_backend("keras").create_trainer(config, images, labels, initial_weights(config.spec, 0),
                                                  runtime=Runtime(precision="bf16"))
    weighted = [layer for layer in trainer.model.layers if layer.weights]
    assert weighted and {layer.compute_dtype for layer in weighted} == {"bfloat16"}
    assert {layer.variable_dtype for layer in weighted} == {"float32"}
    loss, _ = trainer.train_epoch([np.arange(16), np.arange(16, 32)], lambda step: 1e-3, lambda *a: None)
    assert np.isfinite(loss)
