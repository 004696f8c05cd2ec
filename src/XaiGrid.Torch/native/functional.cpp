// torch.nn.functional: convolutions, pooling, linear, activations, losses, normalization, resampling.
#include "xg.h"

enum PaddingMode { EXPLICIT = 0, VALID = 1, SAME = 2 };

XG_API TH xg_conv1d(TH x, TH w, TH b, int64_t stride, int64_t padding, int padding_mode, int64_t dilation, int64_t groups) {
  XG_TENSOR(padding_mode == EXPLICIT
                ? at::conv1d(*x, *w, xg::opt(b), stride, padding, dilation, groups)
                : at::conv1d(*x, *w, xg::opt(b), stride, padding_mode == SAME ? "same" : "valid", dilation, groups))
}

XG_API TH xg_conv2d(TH x, TH w, TH b, const int64_t* stride, const int64_t* padding, int padding_mode,
                    const int64_t* dilation, int64_t groups) {
  XG_TENSOR(padding_mode == EXPLICIT
                ? at::conv2d(*x, *w, xg::opt(b), xg::dims(stride, 2), xg::dims(padding, 2), xg::dims(dilation, 2), groups)
                : at::conv2d(*x, *w, xg::opt(b), xg::dims(stride, 2), padding_mode == SAME ? "same" : "valid",
                             xg::dims(dilation, 2), groups))
}

// Pooling windows come as arrays of length `n` (1 for 1-d, 2 for 2-d). indices may be null.
XG_API int xg_max_pool(int n, TH x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                       const int64_t* dilation, int ceil_mode, TH* out, TH* indices) {
  XG_STATUS(({
    auto k = xg::dims(kernel, n), s = xg::dims(stride, n), p = xg::dims(padding, n), d = xg::dims(dilation, n);
    bool c = ceil_mode != 0;
    if (indices == nullptr) {
      *out = xg::wrap(n == 1 ? at::max_pool1d(*x, k, s, p, d, c) : at::max_pool2d(*x, k, s, p, d, c));
    } else {
      auto r = n == 1 ? at::max_pool1d_with_indices(*x, k, s, p, d, c) : at::max_pool2d_with_indices(*x, k, s, p, d, c);
      *out = xg::wrap(std::get<0>(r));
      *indices = xg::wrap(std::get<1>(r));
    }
  }))
}

XG_API TH xg_avg_pool(int n, TH x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, int ceil_mode,
                      int count_include_pad) {
  XG_TENSOR(n == 1 ? at::avg_pool1d(*x, xg::dims(kernel, 1), xg::dims(stride, 1), xg::dims(padding, 1), ceil_mode != 0,
                                    count_include_pad != 0)
                   : at::avg_pool2d(*x, xg::dims(kernel, 2), xg::dims(stride, 2), xg::dims(padding, 2), ceil_mode != 0,
                                    count_include_pad != 0))
}

XG_API TH xg_adaptive_avg_pool(int n, TH x, const int64_t* size) {
  XG_TENSOR(n == 1 ? at::adaptive_avg_pool1d(*x, xg::dims(size, 1)) : at::adaptive_avg_pool2d(*x, xg::dims(size, 2)))
}

XG_API TH xg_linear(TH x, TH w, TH b) { XG_TENSOR(at::linear(*x, *w, xg::opt(b))) }
XG_API TH xg_softmax(TH x, int64_t dim) { XG_TENSOR(at::softmax(*x, dim)) }
XG_API TH xg_log_softmax(TH x, int64_t dim) { XG_TENSOR(at::log_softmax(*x, dim)) }

// reduction: 0 none, 1 mean, 2 sum (at::Reduction's values).
XG_API TH xg_cross_entropy(TH x, TH target, TH weight, int reduction, int64_t ignore_index, double label_smoothing) {
  XG_TENSOR(at::cross_entropy_loss(*x, *target, xg::opt(weight), reduction, ignore_index, label_smoothing))
}
XG_API TH xg_nll_loss(TH x, TH target, TH weight, int reduction, int64_t ignore_index) {
  XG_TENSOR(at::nll_loss_nd(*x, *target, xg::opt(weight), reduction, ignore_index))
}
XG_API TH xg_mse_loss(TH x, TH target, int reduction) { XG_TENSOR(at::mse_loss(*x, *target, reduction)) }

XG_API TH xg_batch_norm(TH x, TH weight, TH bias, TH running_mean, TH running_var, int training, double momentum, double eps) {
  XG_TENSOR(at::batch_norm(*x, xg::opt(weight), xg::opt(bias), xg::opt(running_mean), xg::opt(running_var),
                           training != 0, momentum, eps, false))
}

// mode: 0 nearest, 1 linear (1-d), 2 bilinear (2-d). align_corners < 0 means "not given" (None).
XG_API TH xg_interpolate(TH x, const int64_t* size, int n, int mode, int align_corners) {
  XG_TENSOR(([&]() -> at::Tensor {
    auto s = xg::dims(size, n);
    bool ac = align_corners > 0;
    switch (mode) {
      case 0:
        TORCH_CHECK(align_corners < 0, "align_corners only goes with linear or bilinear interpolation");
        TORCH_CHECK(x->dim() == n + 2, "nearest interpolation to ", n, " sizes needs a ", n + 2, "-d input, got ", x->dim(), "-d");
        return n == 1 ? at::upsample_nearest1d(*x, s, c10::nullopt) : at::upsample_nearest2d(*x, s, c10::nullopt, c10::nullopt);
      case 1:
        TORCH_CHECK(n == 1 && x->dim() == 3, "linear interpolation takes a 3-d input (N, C, L) and one size");
        return at::upsample_linear1d(*x, s, ac, c10::nullopt);
      case 2:
        TORCH_CHECK(n == 2 && x->dim() == 4, "bilinear interpolation takes a 4-d input (N, C, H, W) and two sizes");
        return at::upsample_bilinear2d(*x, s, ac, c10::nullopt, c10::nullopt);
    }
    TORCH_CHECK(false, "unknown interpolation mode ", mode);
  })())
}

// mode: 0 constant, 1 reflect, 2 replicate.
XG_API TH xg_pad(TH x, const int64_t* pads, int n, int mode, double value) {
  XG_TENSOR(([&]() -> at::Tensor {
    auto p = xg::dims(pads, n);
    if (mode == 0) return at::constant_pad_nd(*x, p, value);
    TORCH_CHECK(n == 2 || n == 4, "reflect and replicate padding take 2 (1-d) or 4 (2-d) pads, got ", n);
    if (mode == 1) return n == 2 ? at::reflection_pad1d(*x, p) : at::reflection_pad2d(*x, p);
    if (mode == 2) return n == 2 ? at::replication_pad1d(*x, p) : at::replication_pad2d(*x, p);
    TORCH_CHECK(false, "unknown padding mode ", mode);
  })())
}
