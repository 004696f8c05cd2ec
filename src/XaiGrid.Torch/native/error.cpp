#include "xg.h"

#include <cstring>

namespace {
thread_local std::string last_error;
thread_local bool has_error = false;
}  // namespace

void xg::set_error(const char* message) {
  last_error = message;
  has_error = true;
}

// Copies the pending error (truncated to capacity) and clears it; returns its full length, or -1 if none.
XG_API int64_t xg_take_error(char* buffer, int64_t capacity) {
  if (!has_error) return -1;
  has_error = false;
  int64_t n = static_cast<int64_t>(last_error.size());
  if (capacity > 0) {
    int64_t copied = n < capacity - 1 ? n : capacity - 1;
    std::memcpy(buffer, last_error.data(), static_cast<size_t>(copied));
    buffer[copied] = '\0';
  }
  return n;
}

XG_API void xg_free(TH t) { delete t; }
