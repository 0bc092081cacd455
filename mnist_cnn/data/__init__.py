"""MNIST itself: locating, downloading, verifying and loading it (mnist.py, loading.py), and augmentation."""
