// Image and HDF5 files through OpenCV. Tensors cross this boundary as float32 CHW in [0, 1], RGB order.
#include <opencv2/core.hpp>
#include <opencv2/hdf.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "xg.h"

namespace {
// HWC float Mat (1 or 3 channels, RGB) <-> CHW float tensor.
at::Tensor mat_to_chw(const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  auto hwc = at::from_blob(c.data, {c.rows, c.cols, c.channels()}, at::kFloat);
  // Always a copy: with one channel the permuted view is already contiguous, and contiguous() would
  // return a tensor still pointing into the Mat, which is freed on return.
  return hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);
}

cv::Mat chw_to_mat(const at::Tensor& t) {
  at::Tensor x = t.detach().to(at::kCPU, at::kFloat);
  if (x.dim() == 2) x = x.unsqueeze(0);
  TORCH_CHECK(x.dim() == 3 && (x.size(0) == 1 || x.size(0) == 3),
              "an image tensor is (C, H, W) with C = 1 or 3, or (H, W); got shape ", x.sizes());
  auto hwc = x.permute({1, 2, 0}).contiguous();
  cv::Mat m(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC(static_cast<int>(hwc.size(2))),
            hwc.data_ptr());
  return m.clone();
}

int interpolation(int code) {
  switch (code) {
    case 0: return cv::INTER_NEAREST;
    case 1: return cv::INTER_LINEAR;
    case 2: return cv::INTER_AREA;
    case 3: return cv::INTER_CUBIC;
  }
  TORCH_CHECK(false, "unknown interpolation code ", code);
}
}  // namespace

// mode: 0 keep the file's channels (gray stays 1 channel, alpha dropped), 1 gray, 2 RGB.
XG_API TH xg_imread(const char* path, int mode) {
  XG_TENSOR(([&] {
    cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
    TORCH_CHECK(!raw.empty(), "cannot decode image '", path, "': the file is unreadable, corrupt or not PNG/TIFF/JPEG");
    // Divided (not multiplied by the reciprocal) so that 8-bit k reads as exactly float(k / 255), the value
    // PyTorch's ToTensor gives; OpenCV's convertTo scale would be off by an ulp for some k.
    float divisor = raw.depth() == CV_8U ? 255.0f : raw.depth() == CV_16U ? 65535.0f : 1.0f;
    TORCH_CHECK(raw.depth() == CV_8U || raw.depth() == CV_16U || raw.depth() == CV_32F,
                "image '", path, "' has an unsupported pixel depth (OpenCV depth code ", raw.depth(), ")");
    cv::Mat rgb;
    int ch = raw.channels();
    if (mode == 1) {
      if (ch == 1) rgb = raw;
      else cv::cvtColor(raw, rgb, ch == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    } else if (ch == 1) {
      if (mode == 2) cv::cvtColor(raw, rgb, cv::COLOR_GRAY2RGB);
      else rgb = raw;
    } else {
      cv::cvtColor(raw, rgb, ch == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
    }
    cv::Mat f;
    rgb.convertTo(f, CV_32F);
    return mat_to_chw(f).div_(divisor);
  })())
}

// Writes an 8-bit image (PNG, or whatever the extension says). Float values are taken as [0, 1]
// and clamped; uint8 tensors are written as they are.
XG_API int xg_imwrite(const char* path, TH image) {
  XG_STATUS(({
    at::Tensor t = *image;
    if (t.scalar_type() == at::kByte) t = t.to(at::kFloat).div(255);
    cv::Mat f = chw_to_mat(t.clamp(0, 1));
    cv::Mat u8, bgr;
    f.convertTo(u8, CV_8U, 255.0);  // convertTo rounds to nearest
    if (u8.channels() == 3) cv::cvtColor(u8, bgr, cv::COLOR_RGB2BGR);
    else bgr = u8;
    TORCH_CHECK(cv::imwrite(path, bgr), "cannot write image '", path, "'");
  }))
}

XG_API TH xg_image_resize(TH image, int64_t height, int64_t width, int interp) {
  XG_TENSOR(([&] {
    bool hw = image->dim() == 2;
    cv::Mat src = chw_to_mat(*image), dst;
    cv::resize(src, dst, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0, interpolation(interp));
    at::Tensor out = mat_to_chw(dst);
    return hw ? out.squeeze(0) : out;
  })())
}

// map: (H, W) with values in [0, 1]. Returns (3, H, W) RGB in [0, 1]. cmap is OpenCV's ColormapTypes code.
XG_API TH xg_apply_colormap(TH map, int cmap) {
  XG_TENSOR(([&] {
    TORCH_CHECK(map->dim() == 2, "a colormap takes a (H, W) map, got shape ", map->sizes());
    cv::Mat f = chw_to_mat(map->clamp(0, 1)), u8, bgr, rgb, out;
    f.convertTo(u8, CV_8U, 255.0);
    cv::applyColorMap(u8, bgr, cmap);
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(out, CV_32F, 1.0 / 255);
    return mat_to_chw(out);
  })())
}

// Reads one HDF5 dataset as a tensor of the same shape (float64 stays float64, uint8 stays uint8).
XG_API TH xg_hdf5_read(const char* path, const char* dataset) {
  XG_TENSOR(([&] {
    cv::Ptr<cv::hdf::HDF5> file = cv::hdf::open(path);
    TORCH_CHECK(file->hlexists(dataset), "HDF5 file '", path, "' has no dataset '", dataset, "'");
    cv::Mat m;
    file->dsread(m, dataset);
    file->close();
    std::vector<int64_t> shape;
    for (int i = 0; i < m.dims; i++) shape.push_back(m.size[i]);
    if (m.channels() > 1) shape.push_back(m.channels());
    at::ScalarType type;
    switch (m.depth()) {
      case CV_8U: type = at::kByte; break;
      case CV_32S: type = at::kInt; break;
      case CV_32F: type = at::kFloat; break;
      case CV_64F: type = at::kDouble; break;
      default: TORCH_CHECK(false, "HDF5 dataset '", dataset, "' in '", path, "' has an unsupported element type");
    }
    cv::Mat c = m.isContinuous() ? m : m.clone();
    return at::from_blob(c.data, shape, type).clone();
  })())
}
