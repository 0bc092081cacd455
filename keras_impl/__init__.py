"""TensorFlow/Keras backend: spec -> keras.Sequential, training steps, inference, safe save/load.

TensorFlow prints oneDNN notices and CUDA-probe errors on import and on first device use,
some before its log level is even read. Users of a CLI should not see them, so the import
and the device probe run here with the process's stderr pointed at /dev/null (Python
exceptions are unaffected: they are raised, not printed, inside). MNIST_CNN_TF_VERBOSE=1
shows everything.
"""

import os

from mnist_cnn.deploy.quiet import quiet_native_stderr as _quiet_native_stderr

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


with _quiet_native_stderr():
    import tensorflow as _tf

    _tf.config.list_physical_devices()  # the CUDA probe happens here, once
