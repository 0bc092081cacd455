#!/usr/bin/env python3
"""Interactive menu: choose PyTorch or TensorFlow/Keras, train or reuse a model, then test it.

The same code as `mnist-cnn menu`. Run it from the project folder: python interactive_run.py
"""

import sys

from mnist_cnn.interrupts import remember_ctrl_c
from mnist_cnn.menu.main import run_menu

if __name__ == "__main__":
    remember_ctrl_c()  # a Ctrl-C that something swallows still stops training (mnist_cnn/interrupts.py)
    sys.exit(run_menu())
