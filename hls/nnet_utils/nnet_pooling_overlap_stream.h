// Max pooling of any pool size, stride and padding over an io_stream pixel stream: the pools
// that hls4ml's own io_stream pooling asserts on (pool size != stride, or padding), such as
// SqueezeNet's 3x3/2 pools. Registered by hls/pooling.py through hls4ml's extension API.
// Padding is left out of the maximum, as in Keras. The last pool_height rows of the image are
// kept; an output leaves once the last in-image pixel of its window is in (outputs
// stay in raster order; when one leaves late, its rows are still kept).
#ifndef NNET_POOLING_OVERLAP_STREAM_H_
#define NNET_POOLING_OVERLAP_STREAM_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_conv_stream.h" // the config names nnet::conv_implementation
#include "nnet_pooling.h"

namespace nnet {

template <class data_T, class res_T, typename CONFIG_T>
void pooling2d_overlap_cl(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    static_assert(CONFIG_T::pool_op == Max, "pooling2d_overlap_cl: only max pooling");
    static_assert(CONFIG_T::pad_top < CONFIG_T::pool_height && CONFIG_T::pad_left < CONFIG_T::pool_width,
                  "pooling2d_overlap_cl: a window of padding only");
    typename data_T::value_type rows[CONFIG_T::pool_height][CONFIG_T::in_width][CONFIG_T::n_filt];
    int oy = 0, ox = 0; // the next output

ReadRows:
    for (int y = 0; y < (int)CONFIG_T::in_height; y++) {
    ReadPixels:
        for (int x = 0; x < (int)CONFIG_T::in_width; x++) {
            data_T in = data.read();
            for (unsigned c = 0; c < CONFIG_T::n_filt; c++) {
                rows[y % CONFIG_T::pool_height][x][c] = in[c];
            }
            // every output whose window has all its in-image pixels, in raster order (with
            // padding, windows of two output rows can end on the same pixel)
            while (oy < (int)CONFIG_T::out_height) {
                int top = oy * (int)CONFIG_T::stride_height - (int)CONFIG_T::pad_top;
                int bottom = top + (int)CONFIG_T::pool_height - 1;
                if (bottom > (int)CONFIG_T::in_height - 1) bottom = CONFIG_T::in_height - 1;
                int left = ox * (int)CONFIG_T::stride_width - (int)CONFIG_T::pad_left;
                int right = left + (int)CONFIG_T::pool_width - 1;
                if (right > (int)CONFIG_T::in_width - 1) right = CONFIG_T::in_width - 1;
                if (bottom > y || (bottom == y && right > x)) break;
                if (top < 0) top = 0;
                if (left < 0) left = 0;
                res_T out;
                for (unsigned c = 0; c < CONFIG_T::n_filt; c++) {
                    typename data_T::value_type best = rows[top % CONFIG_T::pool_height][left][c];
                    for (int ky = top; ky <= bottom; ky++) {
                        for (int kx = left; kx <= right; kx++) {
                            typename data_T::value_type v = rows[ky % CONFIG_T::pool_height][kx][c];
                            if (v > best) best = v;
                        }
                    }
                    out[c] = best;
                }
                res.write(out);
                if (++ox == (int)CONFIG_T::out_width) {
                    ox = 0;
                    oy++;
                }
            }
        }
    }
}

} // namespace nnet

#endif
