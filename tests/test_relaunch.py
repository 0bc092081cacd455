"""`train --nproc N` starts its processes with the options it parsed, not a command line retyped by hand."""

from __future__ import annotations

from mnist_cnn.cli.train_cmd import relaunch_options, train


def test_the_processes_get_every_parsed_option_but_the_parents_own():
    ctx = train.make_context("train", ["-f", "tf", "--epochs", "2", "--lr", "0.01", "--train-limit", "640",
                                       "--nproc", "2", "--master-port", "29500", "--data-dir", "/data"])
    args = relaunch_options(ctx, leave_out=("nproc", "master_port", "ensemble"))
    pairs = dict(zip(args[::2], args[1::2]))
    assert pairs == {"--framework": "keras", "--recipe": "fast", "--epochs": "2", "--lr": "0.01",
                     "--train-limit": "640", "--device": "auto", "--precision": "fp32", "--dist-timeout": "300.0",
                     "--data-dir": "/data"}
    # what the processes parse back is what the parent parsed
    again = train.make_context("train", args)
    assert {k: v for k, v in again.params.items() if k not in ("nproc", "master_port", "ensemble")} == \
           {k: v for k, v in ctx.params.items() if k not in ("nproc", "master_port", "ensemble")}
