"""Fixed-point formats and the quantized Keras layers of the bit-exact chain.

Each layer here computes, in floating point, exactly what hls4ml's ap_fixed C++ computes
(docs/design.md, numeric contract):

- conv: weights and biases are ap_fixed values; products and sums are exact (the accumulator is
  sized so that they are, see `accum_format`); the result is cast once, with rounding (AP_RND:
  half LSB up) and saturation, to the layer's activation format, after the ReLU when there is one.
- add: the exact sum cast to the output format.
- global average pooling: the exact sum, divided by the pixel count with the truncating integer
  division of ap_fixed (the quotient keeps the dividend's fractional bits), then cast.

Values are exact in float64 (53-bit mantissa) for every accumulator this project builds;
`exact()` turns a trained model into its float64 twin for the bit-exact reference. Training runs
in float32 with straight-through gradients.
"""
import math
from dataclasses import asdict, dataclass

import keras
from keras import ops


@dataclass(frozen=True)
class Fixed:
    """ap_fixed<width, integer> (signed) or ap_ufixed (unsigned); integer bits include the sign."""

    width: int
    integer: int
    signed: bool = True
    rounding: str = 'RND'  # RND: add half an LSB, then truncate; TRN: truncate (floor)
    saturation: str = 'SAT'  # SAT: clip; WRAP: only for accumulators that cannot overflow

    @property
    def frac(self):
        return self.width - self.integer

    @property
    def lsb(self):
        return 2.0**-self.frac

    @property
    def lo(self):
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def hi(self):
        return 2.0 ** (self.integer - (1 if self.signed else 0)) - self.lsb

    def hls(self):
        """The C++ type name, as hls4ml's precision strings spell it."""
        name = 'ap_fixed' if self.signed else 'ap_ufixed'
        if self.rounding == 'TRN' and self.saturation == 'WRAP':
            return f'{name}<{self.width},{self.integer}>'
        return f'{name}<{self.width},{self.integer},AP_{self.rounding},AP_{self.saturation}>'

    def quantize(self, x):
        """Round and saturate x onto this format's grid, with a straight-through gradient."""
        if self.saturation != 'SAT':
            raise ValueError(f'{self.hls()}: only saturating formats are emulated')
        scale = 2.0**self.frac
        clipped = ops.clip(x, self.lo, self.hi)
        offset = 0.5 if self.rounding == 'RND' else 0.0
        q = ops.clip(ops.floor(x * scale + offset) / scale, self.lo, self.hi)
        return straight_through(q, clipped)

    def to_config(self):
        return asdict(self)

    @classmethod
    def from_config(cls, config):
        return config if isinstance(config, cls) else cls(**config)


def straight_through(forward, backward):
    """`forward`'s value (exactly: x - x is 0) with the gradient of `backward`."""
    return ops.stop_gradient(forward) + (backward - ops.stop_gradient(backward))


def floor_divide(x, n):
    """floor(x / n) for integer-valued x >= 0, exact although x / n may be computed as x * (1/n)."""
    q = ops.floor(x / n)
    q = ops.where(q * n > x, q - 1, q)
    return ops.where((q + 1) * n <= x, q + 1, q)


INPUT_FORMAT = Fixed(8, 0, signed=False)  # pixels p as p / 256 (model.data.INPUT_SCALE)


def integer_bits_for(max_abs, signed=True):
    """Integer bits (sign included) whose range holds max_abs; never below zero."""
    magnitude = math.ceil(math.log2(max_abs)) if max_abs > 0 else 0
    return max(magnitude + (1 if signed else 0), 0)


def accum_format(in_fmt, weight_fmt, bias_fmt, fan_in):
    """The exact accumulator of a conv: no product or partial sum is ever rounded or wrapped."""
    frac = max(in_fmt.frac + weight_fmt.frac, bias_fmt.frac)
    product_int = in_fmt.integer + weight_fmt.integer - (0 if in_fmt.signed else 1)
    integer = max(product_int + math.ceil(math.log2(fan_in)), bias_fmt.integer) + 1
    return Fixed(integer + frac, integer, True, 'TRN', 'WRAP')


@keras.saving.register_keras_serializable('squeezenet_fpga')
class QConv2D(keras.layers.Conv2D):
    """Conv2D with ap_fixed weights and bias, optional ReLU, and a quantized output.

    weight, bias, output: Fixed formats (dicts in the saved config).
    relu: apply ReLU before the output cast (the Fire module's squeeze and expand do).
    shared_bits: Deep Compression's weight sharing: every weight is one of 2**shared_bits codebook
        entries (b-bit indices in hardware). Entry 0 is zero and fixed, so that pruned weights
        stay pruned; the others are trained (`codebook`, the gradient of each entry the sum over
        the weights that share it) while each weight's entry (`assignment`) stays as k-means
        chose it (model.compress.share_weights). The kernel variable is not trained then; it is
        rewritten with the shared values so that anything reading it sees what the layer computes.
    """

    def __init__(self, filters, kernel_size, weight, bias, output, relu=True, shared_bits=None, **kwargs):
        kwargs.pop('activation', None)
        super().__init__(filters, kernel_size, activation=None, **kwargs)
        self.weight_fmt = Fixed.from_config(weight)
        self.bias_fmt = Fixed.from_config(bias)
        self.output_fmt = Fixed.from_config(output)
        self.relu = relu
        self.shared_bits = shared_bits

    def build(self, input_shape):
        super().build(input_shape)
        if self.shared_bits:
            self.kernel.trainable = False
            self.codebook = self.add_weight(name='codebook', shape=(2**self.shared_bits - 1,), initializer='zeros')
            self.assignment = self.add_weight(name='assignment', shape=self.kernel.shape, initializer='zeros', dtype='int32', trainable=False)

    # every variable by position, the codebook and assignment too (Conv2D's own saves only
    # kernel and bias)
    save_own_variables = keras.layers.Layer.save_own_variables
    load_own_variables = keras.layers.Layer.load_own_variables

    def shared_kernel(self):
        """The kernel the layer computes with: the codebook's entries where sharing is on."""
        if not self.shared_bits:
            return self.kernel
        entries = ops.concatenate([ops.zeros((1,), self.codebook.dtype), self.codebook])
        return ops.take(entries, self.assignment)

    def call(self, inputs):
        y = self.convolution_op(inputs, self.weight_fmt.quantize(self.shared_kernel()))
        y = y + self.bias_fmt.quantize(self.bias)
        if self.relu:
            y = ops.relu(y)
        return self.output_fmt.quantize(y)

    def quantized_weights(self):
        """Kernel and bias as the hardware holds them (numpy, on the ap_fixed grid)."""
        return [
            keras.ops.convert_to_numpy(self.weight_fmt.quantize(self.shared_kernel())),
            keras.ops.convert_to_numpy(self.bias_fmt.quantize(self.bias)),
        ]

    def get_config(self):
        config = super().get_config()
        config.pop('activation', None)
        config.update(
            weight=self.weight_fmt.to_config(),
            bias=self.bias_fmt.to_config(),
            output=self.output_fmt.to_config(),
            relu=self.relu,
            shared_bits=self.shared_bits,
        )
        return config


@keras.saving.register_keras_serializable('squeezenet_fpga')
class QAdd(keras.layers.Add):
    """Element-wise add (Fire bypass) with its exact sum cast to `output`."""

    def __init__(self, output, **kwargs):
        super().__init__(**kwargs)
        self.output_fmt = Fixed.from_config(output)

    def call(self, inputs):
        return self.output_fmt.quantize(super().call(inputs))

    def get_config(self):
        return {**super().get_config(), 'output': self.output_fmt.to_config()}


@keras.saving.register_keras_serializable('squeezenet_fpga')
class QGlobalAveragePooling2D(keras.layers.GlobalAveragePooling2D):
    """Global average pooling as hls4ml's io_stream kernel computes it.

    The sum is exact in `accum`; ap_fixed's `sum / (H*W)` is an integer division of the raw value
    that truncates toward zero and keeps the accumulator's fractional bits, so extra fractional
    bits in `accum` are what give the logits resolution. `output` must keep them all.
    """

    def __init__(self, accum, output, **kwargs):
        super().__init__(**kwargs)
        self.accum_fmt = Fixed.from_config(accum)
        self.output_fmt = Fixed.from_config(output)
        if self.output_fmt.frac < self.accum_fmt.frac:
            raise ValueError('the pooled output must keep the accumulator fractional bits')

    def call(self, inputs):
        count = inputs.shape[1] * inputs.shape[2]
        scale = 2.0**self.accum_fmt.frac
        raw = ops.sum(inputs, axis=(1, 2)) * scale
        truncated = ops.sign(raw) * floor_divide(ops.abs(raw), count)
        exact = raw / count
        y = straight_through(truncated, exact) / scale
        return self.output_fmt.quantize(y)

    def get_config(self):
        return {**super().get_config(), 'accum': self.accum_fmt.to_config(), 'output': self.output_fmt.to_config()}


def exact(model):
    """The float64 twin of a quantized model: same layers and weights, every sum exact."""
    config = model.get_config()
    for layer in config['layers']:
        layer['config']['dtype'] = 'float64'
    twin = model.__class__.from_config(config)
    twin.set_weights(model.get_weights())
    return twin
