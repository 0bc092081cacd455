"""`mnist-cnn train`."""

from __future__ import annotations

import click

from ..config import DEFAULT_RECIPE, RECIPE_NOTES, RECIPES
from .common import (FRAMEWORK_CHOICE, console, data_dir_option, device_option, friendly_errors, precision_option,
                     runs_dir_option)

RECIPE_HELP = "; ".join(f"{name}: {note}" for name, note in RECIPE_NOTES.items())


@click.command()
@click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default="torch", show_default=True,
              help="Which framework trains the network.")
@click.option("--recipe", "-r", type=click.Choice(list(RECIPES)), default=DEFAULT_RECIPE, show_default=True,
              help=f"Architecture plus training settings. {RECIPE_HELP}.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Override the recipe's epochs.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Override the batch size.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Override the (peak) learning rate.")
@click.option("--seed", type=int, default=None, help="Random seed (split, batch order, initial weights, dropout).")
@click.option("--val-split", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Fraction of the 60,000 training images held out for validation.")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Override the label smoothing.")
@click.option("--train-limit", type=click.IntRange(min=1), default=None,
              help="Train on only the first N training images (quick experiments).")
@click.option("--ensemble", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train N models (seeds S, S+1, ...), each its own run, and report their averaged "
                   "predictions; recorded in an extra '<...>-ensembleN' folder.")
@device_option
@precision_option
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train as N data-parallel processes on this machine, each on its share of every batch "
                   "(PyTorch: torchrun + DistributedDataParallel; Keras: MultiWorkerMirroredStrategy, or "
                   "MirroredStrategy in one process when there are N GPUs). Same seed, same result.")
@click.option("--master-port", type=click.IntRange(1, 65535), default=None, metavar="PORT",
              help="With --nproc: the rendezvous port (PyTorch), or the first of N worker ports (Keras). "
                   "Default: free ones.")
@click.option("--dist-timeout", type=click.FloatRange(min=1), default=300, show_default=True, metavar="SECONDS",
              help="With several processes: how long one waits for the others (to join, or at an exchange) "
                   "before the run stops with an error.")
@click.option("--tensorboard", is_flag=True,
              help="Also write TensorBoard event files into the run folder (losses, accuracies and learning "
                   "rate per step, the misclassified test images): `tensorboard --logdir runs`.")
@data_dir_option
@runs_dir_option
@click.pass_context
@friendly_errors
def train(ctx, framework, recipe, epochs, batch_size, lr, seed, val_split, label_smoothing, train_limit, ensemble,
          device, precision, nproc, master_port, dist_timeout, tensorboard, data_dir, runs_dir):
    """Train a recipe on MNIST, test it, and save a run folder.

    Shows live progress, prints the test accuracy, and writes
    runs/<time>-<framework>-<recipe>/ with the model, config.json, history.csv and
    metrics.json. Ctrl-C stops cleanly and leaves no partial run.

    \b
    Examples:
      mnist-cnn train                          # PyTorch, recipe "fast"
      mnist-cnn train -f keras -r kids
      mnist-cnn train -r lab7 --epochs 5 --seed 1
      mnist-cnn train -r accurate --ensemble 5     # five seeds, averaged
      mnist-cnn train --device cuda --precision bf16
      mnist-cnn train --nproc 2                    # two processes (torchrun + DDP)
      mnist-cnn train --tensorboard                # plus event files: tensorboard --logdir runs
      torchrun --nproc-per-node 2 -m mnist_cnn train -f torch    # the same, launched by hand
    """
    from .. import worker
    from ..config import get_recipe
    from ..runtime import world_for

    # The recipe and its overrides are resolved once, here; everything below gets the config.
    config = get_recipe(recipe).with_overrides(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                                               val_split=val_split, label_smoothing=label_smoothing,
                                               train_limit=train_limit)
    world = world_for(framework)  # set by torchrun, or by a TF_CONFIG for Keras
    if (nproc > 1 or world.distributed) and ensemble > 1:
        raise click.UsageError("--ensemble trains its models one after another in one process; "
                               "it cannot be combined with several processes")
    if master_port is not None and nproc == 1:
        raise click.UsageError("--master-port goes with --nproc N (torchrun and TF_CONFIG carry their own ports)")
    if tensorboard and (nproc > 1 or world.distributed):
        raise click.UsageError("--tensorboard is written by a single training process; leave out --nproc")
    if nproc > 1:
        if world.distributed:
            raise click.UsageError(f"this process is already rank {world.rank} of {world.size} (started via "
                                   f"{world.launcher}): leave out --nproc")
        from ..launch import launch_training

        args = ["train", *relaunch_options(ctx, leave_out=("nproc", "master_port", "ensemble"))]
        gpus = launch_training(framework, nproc, args, console(), config=config, data_dir=data_dir, device=device,
                               port=master_port, timeout_s=dist_timeout)
        if gpus:  # Keras with a GPU per replica: one process, MirroredStrategy
            worker.train_single(framework, config, console(), data_dir, runs_dir, 1, device, precision,
                                local_replicas=gpus)
        return
    if world.distributed:
        worker.train_as_rank(framework, config, console(), data_dir, runs_dir, device, precision, world,
                             dist_timeout)
    else:
        worker.train_single(framework, config, console(), data_dir, runs_dir, ensemble, device, precision,
                            tensorboard=tensorboard)


def relaunch_options(ctx: click.Context, leave_out: tuple[str, ...]) -> list[str]:
    """The options this command was given, as a command line for the processes it starts: every
    option with a value (defaults included, so each process sees exactly these), in the
    command's own spelling; `leave_out` names the parent's own options."""
    args: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if not isinstance(param, click.Option) or param.name in leave_out or value is None:
            continue
        if param.is_flag:  # a flag is its name alone, and only when it is set
            args += [param.opts[0]] if value else []
        else:
            args += [param.opts[0], str(value)]
    return args
