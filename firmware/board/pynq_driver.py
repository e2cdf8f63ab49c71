"""PYNQ driver of the SqueezeNet accelerator: images in, logits out, through the AXI DMA.

On the board, next to squeezenet.bit, squeezenet.hwh and manifest.json (from `make synth`):

    from pynq_driver import Accelerator
    accel = Accelerator('squeezenet.bit', 'manifest.json')
    logits = accel.predict(images)          # images: (N, H, W, C) uint8 pixels
    classes = logits.argmax(axis=1)         # softmax/argmax run here, on the host

A batch is one DMA transfer each way: MM2S sends every pixel of the batch and sets TLAST on the
last one; the accelerator sets TLAST on the last beat of that image's logits (axis_batch), which
ends the S2MM transfer after exactly the batch's logits: `beats_per_image` beats of the DMA's
stream width per image (1000 logits: 250 beats of 64 bits), lanes little-endian across them.
Batches larger than a transfer can hold are split.

encode/decode are plain numpy, so they are tested off the board against the RTL's stream format
(tests/test_board.py drives the generated top through a model of the DMA with them).
"""
import json
import time

import numpy as np

MAX_TRANSFER = (1 << 26) - 1  # bytes: the DMA's buffer length register (c_sg_length_width 26, firmware/vivado.py)


def load_manifest(path):
    with open(path) as f:
        return json.load(f)


def encode(images, manifest):
    """uint8 images (N, H, W, C) of raw pixels -> the MM2S byte stream: one beat per pixel."""
    spec = manifest['input']
    if spec['frac'] != 8 or spec['format'].startswith('ap_fixed'):
        raise ValueError(f"the driver sends raw 8-bit pixels; the input format is {spec['format']}")
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if tuple(images.shape[1:]) != tuple(spec['shape']) or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images of shape (N, {', '.join(map(str, spec['shape']))}), got {images.dtype} {images.shape}")
    if len(images) == 0:
        raise ValueError('no images to send')
    lane_bytes, beat_bytes = spec['lane_bits'] // 8, spec['beat_bits'] // 8
    pixels = images.reshape(len(images), -1, images.shape[-1])
    beats = np.zeros((*pixels.shape[:2], beat_bytes), dtype=np.uint8)
    beats[..., 0 : pixels.shape[-1] * lane_bytes : lane_bytes] = pixels
    return beats.reshape(-1)


def result_bytes(spec):
    """Bytes of one image's logits on the stream (the manifest's output)."""
    return spec['beat_bits'] // 8 * spec['beats_per_image']


def decode(buffer, manifest, count):
    """The S2MM bytes of `count` images -> logits (count, classes) as floats."""
    spec = manifest['output']
    lane_bytes, image_bytes = spec['lane_bits'] // 8, result_bytes(spec)
    classes = spec['shape'][-1]
    dtype = np.dtype(f"{'<i' if spec['signed'] else '<u'}{lane_bytes}")
    images = np.asarray(buffer, dtype=np.uint8)[: count * image_bytes].reshape(count, image_bytes)
    lanes = images[:, : classes * lane_bytes].copy().view(dtype).reshape(count, classes)
    return lanes.astype(np.float64) / 2.0 ** spec['frac']


class Accelerator:
    def __init__(self, bitfile, manifest):
        from pynq import Overlay

        self.overlay = Overlay(bitfile)
        self.dma = self.overlay.dma
        self.manifest = load_manifest(manifest)

    def predict(self, images):
        """Logits of uint8 images (N, H, W[, C]); self.seconds: the time on the DMA."""
        images = np.asarray(images)
        per_image = self.manifest['input']['beat_bits'] // 8 * int(np.prod(self.manifest['input']['shape'][:2]))
        batch = max(1, MAX_TRANSFER // per_image)
        self.seconds = 0.0
        return np.concatenate([self._batch(images[i : i + batch]) for i in range(0, len(images), batch)])

    def _batch(self, images):
        from pynq import allocate

        stream = encode(images, self.manifest)
        out_bytes = len(images) * result_bytes(self.manifest['output'])
        with allocate(shape=stream.shape, dtype=np.uint8) as src, allocate(shape=(out_bytes,), dtype=np.uint8) as dst:
            src[:] = stream
            started = time.time()
            self.dma.recvchannel.transfer(dst)  # armed first: it ends at the TLAST of the last image's logits
            self.dma.sendchannel.transfer(src)  # the DMA sets TLAST on the last pixel
            self.dma.sendchannel.wait()
            self.dma.recvchannel.wait()
            self.seconds += time.time() - started
            return decode(np.array(dst), self.manifest, len(images))
