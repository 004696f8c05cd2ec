// Shared definitions of the C ABI. Every entry point is wrapped in XG_TRY so that no C++ exception
// crosses into .NET: the message is kept per thread and the C# side throws it as TorchException.
#pragma once
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <cstdint>
#include <string>
#include <vector>

#define XG_API extern "C" __attribute__((visibility("default")))

typedef at::Tensor* TH;

namespace xg {
void set_error(const char* message);

inline TH wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }

inline at::IntArrayRef dims(const int64_t* values, int n) { return at::IntArrayRef(values, static_cast<size_t>(n)); }

inline at::Device device(int type, int index) {
  return at::Device(static_cast<c10::DeviceType>(type), static_cast<c10::DeviceIndex>(index));
}

inline at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(device_type, device_index));
}

// A nullable handle: the C# side passes null for "no tensor" (an absent bias, weight or grad).
inline c10::optional<at::Tensor> opt(TH t) {
  if (t == nullptr) return c10::nullopt;
  return *t;
}

inline at::Tensor or_undefined(TH t) { return t == nullptr ? at::Tensor() : *t; }

inline at::Scalar scalar(double value, int integral) {
  return integral ? at::Scalar(static_cast<int64_t>(value)) : at::Scalar(value);
}
}  // namespace xg

#define XG_CATCH(fail)                                                           \
  catch (const c10::Error& e) { xg::set_error(e.what_without_backtrace()); }     \
  catch (const std::exception& e) { xg::set_error(e.what()); }                   \
  catch (...) { xg::set_error("unknown native error"); }                         \
  return fail;

// Returns a new tensor handle, or null with the error set.
#define XG_TENSOR(body) \
  try { return xg::wrap(body); } XG_CATCH(nullptr)

// Runs statements; returns 0, or -1 with the error set.
#define XG_STATUS(...) \
  try { __VA_ARGS__; return 0; } XG_CATCH(-1)
