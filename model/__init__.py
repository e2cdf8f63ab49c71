"""The Keras side of the chain. Importing it quiets TensorFlow's start-up on a CPU machine
(tensorflow-cpu has no CUDA probing; oneDNN's reordered float sums, and the line announcing
them, are off, so float results repeat exactly) while its warnings and errors still show."""
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
