#!/usr/bin/env python3
"""Interactive menu: choose PyTorch or TensorFlow/Keras, train or reuse a model, then test it.

The same code as `mnist-cnn menu`. Run it from the project folder: python interactive_run.py
"""

import sys

from mnist_cnn.menu.main import run_menu

if __name__ == "__main__":
    sys.exit(run_menu())
