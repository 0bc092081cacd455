"""mnist-cnn: MNIST convolutional networks in PyTorch and Keras side by side (framework-free core)."""

__version__ = "0.1.0"
