import numpy as np
import pytest
from keras import ops

from model.quant import Fixed, accum_format, floor_divide, integer_bits_for


def q(fmt, values):
    return ops.convert_to_numpy(fmt.quantize(ops.convert_to_tensor(np.array(values, dtype=np.float64))))


def test_format_names_and_ranges():
    fmt = Fixed(8, 3)
    assert fmt.hls() == 'ap_fixed<8,3,AP_RND,AP_SAT>'
    assert (fmt.lo, fmt.hi, fmt.lsb) == (-4.0, 4.0 - 1 / 32, 1 / 32)
    ufmt = Fixed(8, 0, signed=False)
    assert ufmt.hls() == 'ap_ufixed<8,0,AP_RND,AP_SAT>'
    assert (ufmt.lo, ufmt.hi) == (0.0, 255 / 256)
    assert Fixed(20, 4, True, 'TRN', 'WRAP').hls() == 'ap_fixed<20,4>'


def test_quantize_rounds_half_up_and_saturates_like_ap_fixed():
    fmt = Fixed(4, 2)  # step 0.25, range [-2, 1.75]
    got = q(fmt, [0.125, 0.124, -0.125, -0.126, 1.9, -3.0, 0.3])
    np.testing.assert_array_equal(got, [0.25, 0.0, 0.0, -0.25, 1.75, -2.0, 0.25])
    trn = Fixed(4, 2, rounding='TRN')
    np.testing.assert_array_equal(q(trn, [0.49, -0.01]), [0.25, -0.25])


def test_quantize_is_exact_on_the_grid_and_passes_gradients_inside_the_range():
    import tensorflow as tf

    fmt = Fixed(8, 2)
    grid = np.arange(-128, 128) / 64.0
    np.testing.assert_array_equal(q(fmt, grid), grid)
    x = tf.Variable([0.3, 5.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(fmt.quantize(x))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 0.0])


def test_wrapping_formats_are_not_emulated():
    with pytest.raises(ValueError, match='saturating'):
        Fixed(8, 2, saturation='WRAP').quantize(ops.ones(1))


@pytest.mark.parametrize('value, signed, bits', [(0.3, True, 0), (1.0, True, 1), (1.5, True, 2), (5, False, 3), (0, False, 0)])
def test_integer_bits(value, signed, bits):
    assert integer_bits_for(value, signed) == bits


def test_floor_divide_is_exact_where_reciprocal_multiplication_is_not():
    x = np.array([37632.0, 49 * 12345 - 1, 0.0, 48.0])
    np.testing.assert_array_equal(ops.convert_to_numpy(floor_divide(ops.convert_to_tensor(x), 49)), x // 49)


def test_accumulator_holds_the_worst_case_sum_exactly():
    act, weight, bias = Fixed(8, 2, signed=False), Fixed(8, 1), Fixed(8, 3)
    fan_in = 288
    acc = accum_format(act, weight, bias, fan_in)
    worst = fan_in * act.hi * weight.lo + bias.lo  # most negative reachable sum
    assert acc.lo <= worst and fan_in * act.hi * weight.hi + bias.hi <= acc.hi
    assert acc.frac == act.frac + weight.frac
    assert acc.width < 53  # float64 holds every value of it exactly
