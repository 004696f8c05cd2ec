// Drawing on a canvas through OpenCV: lines, polylines, rectangles, circles and Hershey text. A canvas is a CPU
// uint8 (H, W, C) tensor with C = 1 or 3 (channel order is the caller's: colors are given in that order), drawn
// on in place through a cv::Mat header over the tensor's memory.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "xg.h"

namespace {
cv::Mat canvas(TH image) {
  const at::Tensor& t = *image;
  TORCH_CHECK(t.defined(), "a canvas tensor is undefined");
  TORCH_CHECK(t.device().is_cpu(), "a canvas must be on the CPU, got ", t.device());
  TORCH_CHECK(t.scalar_type() == at::kByte, "a canvas is uint8, got ", t.scalar_type());
  TORCH_CHECK(t.dim() == 3 && (t.size(2) == 1 || t.size(2) == 3),
              "a canvas is (H, W, C) with C = 1 or 3, got shape ", t.sizes());
  // A header over a copy would draw on the copy and lose every stroke.
  TORCH_CHECK(t.is_contiguous(), "a canvas must be contiguous (drawing happens in place)");
  return cv::Mat(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC(static_cast<int>(t.size(2))),
                 t.data_ptr());
}

cv::Scalar color(int c0, int c1, int c2) { return cv::Scalar(c0, c1, c2); }

int line_type(int antialias) { return antialias ? cv::LINE_AA : cv::LINE_8; }

int font_face(int font) {
  TORCH_CHECK(font >= cv::FONT_HERSHEY_SIMPLEX && font <= cv::FONT_HERSHEY_SCRIPT_COMPLEX,
              "unknown Hershey font code ", font);
  return font;
}
}  // namespace

XG_API int xg_draw_line(TH image, int x1, int y1, int x2, int y2, int c0, int c1, int c2, int thickness, int antialias) {
  XG_STATUS(({
    TORCH_CHECK(thickness >= 1, "line thickness must be at least 1, got ", thickness);
    cv::Mat m = canvas(image);
    cv::line(m, cv::Point(x1, y1), cv::Point(x2, y2), color(c0, c1, c2), thickness, line_type(antialias));
  }))
}

// xy holds n points as x0, y0, x1, y1, ...
XG_API int xg_draw_polyline(TH image, const int32_t* xy, int n, int closed, int c0, int c1, int c2, int thickness,
                            int antialias) {
  XG_STATUS(({
    TORCH_CHECK(n >= 2, "a polyline needs at least 2 points, got ", n);
    TORCH_CHECK(thickness >= 1, "polyline thickness must be at least 1, got ", thickness);
    cv::Mat m = canvas(image);
    std::vector<cv::Point> points(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) points[i] = cv::Point(xy[2 * i], xy[2 * i + 1]);
    cv::polylines(m, points, closed != 0, color(c0, c1, c2), thickness, line_type(antialias));
  }))
}

// thickness < 0 fills the rectangle; (x1, y1) and (x2, y2) are opposite corners, both inclusive.
XG_API int xg_draw_rectangle(TH image, int x1, int y1, int x2, int y2, int c0, int c1, int c2, int thickness) {
  XG_STATUS(({
    TORCH_CHECK(thickness != 0, "rectangle thickness is 0: give >= 1, or < 0 to fill");
    cv::Mat m = canvas(image);
    cv::rectangle(m, cv::Point(x1, y1), cv::Point(x2, y2), color(c0, c1, c2), thickness < 0 ? cv::FILLED : thickness,
                  cv::LINE_8);
  }))
}

// thickness < 0 fills the circle.
XG_API int xg_draw_circle(TH image, int cx, int cy, int radius, int c0, int c1, int c2, int thickness, int antialias) {
  XG_STATUS(({
    TORCH_CHECK(radius >= 0, "circle radius can't be negative, got ", radius);
    TORCH_CHECK(thickness != 0, "circle thickness is 0: give >= 1, or < 0 to fill");
    cv::Mat m = canvas(image);
    cv::circle(m, cv::Point(cx, cy), radius, color(c0, c1, c2), thickness < 0 ? cv::FILLED : thickness,
               line_type(antialias));
  }))
}

// (x, y) is the left end of the text's baseline, as in cv::putText.
XG_API int xg_draw_text(TH image, const char* text, int x, int y, int font, double scale, int c0, int c1, int c2,
                        int thickness, int antialias) {
  XG_STATUS(({
    TORCH_CHECK(scale > 0, "text scale must be positive, got ", scale);
    TORCH_CHECK(thickness >= 1, "text thickness must be at least 1, got ", thickness);
    cv::Mat m = canvas(image);
    cv::putText(m, text, cv::Point(x, y), font_face(font), scale, color(c0, c1, c2), thickness, line_type(antialias));
  }))
}

// out: width, height above the baseline, and the baseline's depth below it (descenders), in pixels.
XG_API int xg_text_size(const char* text, int font, double scale, int thickness, int32_t* out) {
  XG_STATUS(({
    TORCH_CHECK(scale > 0, "text scale must be positive, got ", scale);
    TORCH_CHECK(thickness >= 1, "text thickness must be at least 1, got ", thickness);
    int baseline = 0;
    cv::Size size = cv::getTextSize(text, font_face(font), scale, thickness, &baseline);
    out[0] = size.width;
    out[1] = size.height;
    out[2] = baseline;
  }))
}
