// Tensor metadata, data transfer, factories, random draws and shape/view operations.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <malloc.h>

#include "xg.h"

// ---- process memory ----
// libtorch frees and re-allocates each pass's activations and workspaces (hundreds of KB to MBs each). glibc's adaptive
// defaults start at 128 KB both for serving a block by mmap and for handing a free heap top back to the OS, and rise
// only as big mmapped blocks are freed, so passes of a small CNN keep returning pages and faulting them in again (a
// quarter of a forward and backward pass of mnist1d-cnn at batch 128). Fixing both at glibc's adaptive ceiling (blocks
// up to 32 MB from the heap, up to 64 MB of free heap top kept) stops that. A user's own malloc settings stay in force.
__attribute__((constructor)) static void keep_freed_heap_pages() {
  if (std::getenv("GLIBC_TUNABLES") || std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

// ---- metadata ----
XG_API int xg_ndim(TH t) { return static_cast<int>(t->dim()); }
XG_API void xg_shape(TH t, int64_t* out) {
  for (int64_t i = 0; i < t->dim(); i++) out[i] = t->size(i);
}
XG_API int xg_dtype(TH t) { return static_cast<int>(t->scalar_type()); }
XG_API int64_t xg_numel(TH t) { return t->numel(); }
XG_API void xg_device(TH t, int* type, int* index) {
  *type = static_cast<int>(t->device().type());
  *index = t->device().index();
}
XG_API int xg_requires_grad(TH t) { return t->requires_grad() ? 1 : 0; }
XG_API int xg_set_requires_grad(TH t, int value) { XG_STATUS(t->requires_grad_(value != 0)) }
XG_API int xg_is_contiguous(TH t) { return t->is_contiguous() ? 1 : 0; }
XG_API int xg_is_leaf(TH t) { return t->is_leaf() ? 1 : 0; }

XG_API int xg_item(TH t, double* out) { XG_STATUS(*out = t->item<double>()) }
XG_API int xg_item_long(TH t, int64_t* out) { XG_STATUS(*out = t->item<int64_t>()) }

// ---- data in and out (always copies, so .NET memory never aliases a tensor) ----
XG_API TH xg_from_data(const void* data, const int64_t* shape, int ndim, int dtype, int device_type, int device_index) {
  XG_TENSOR(([&] {
    auto cpu = at::empty(xg::dims(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
    std::memcpy(cpu.data_ptr(), data, cpu.nbytes());
    return cpu.to(xg::device(device_type, device_index));
  })())
}

XG_API int xg_copy_to(TH t, void* data, int64_t nbytes) {
  XG_STATUS(({
    auto cpu = t->detach().to(at::kCPU).contiguous();
    TORCH_CHECK(static_cast<int64_t>(cpu.nbytes()) == nbytes, "copy_to: the tensor holds ", cpu.nbytes(),
                " bytes but the destination has ", nbytes);
    std::memcpy(data, cpu.data_ptr(), cpu.nbytes());
  }))
}

// ---- factories ----
XG_API TH xg_empty(const int64_t* shape, int ndim, int dtype, int dt, int di) { XG_TENSOR(at::empty(xg::dims(shape, ndim), xg::options(dtype, dt, di))) }
XG_API TH xg_zeros(const int64_t* shape, int ndim, int dtype, int dt, int di) { XG_TENSOR(at::zeros(xg::dims(shape, ndim), xg::options(dtype, dt, di))) }
XG_API TH xg_ones(const int64_t* shape, int ndim, int dtype, int dt, int di) { XG_TENSOR(at::ones(xg::dims(shape, ndim), xg::options(dtype, dt, di))) }
XG_API TH xg_full(const int64_t* shape, int ndim, double value, int dtype, int dt, int di) {
  XG_TENSOR(at::full(xg::dims(shape, ndim), value, xg::options(dtype, dt, di)))
}
XG_API TH xg_arange(double start, double end, double step, int dtype, int dt, int di) {
  XG_TENSOR(at::arange(start, end, step, xg::options(dtype, dt, di)))
}
XG_API TH xg_linspace(double start, double end, int64_t steps, int dtype, int dt, int di) {
  XG_TENSOR(at::linspace(start, end, steps, xg::options(dtype, dt, di)))
}
XG_API TH xg_eye(int64_t n, int dtype, int dt, int di) { XG_TENSOR(at::eye(n, xg::options(dtype, dt, di))) }

// ---- generators and random draws ----
// Draws happen on the CPU generator and are then moved, so a seed gives the same numbers on every device.
typedef at::Generator* GH;
XG_API GH xg_generator_new(uint64_t seed) {
  try { return new at::Generator(at::detail::createCPUGenerator(seed)); } XG_CATCH(nullptr)
}
XG_API void xg_generator_free(GH g) { delete g; }
XG_API uint64_t xg_generator_initial_seed(GH g) { return g->current_seed(); }
XG_API int xg_manual_seed(uint64_t seed) {
  XG_STATUS(({
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }))
}

static c10::optional<at::Generator> gen_of(GH g) {
  if (g == nullptr) return c10::nullopt;
  return *g;
}

XG_API TH xg_rand(const int64_t* shape, int ndim, GH g, int dtype, int dt, int di) {
  XG_TENSOR(at::rand(xg::dims(shape, ndim), gen_of(g), xg::options(dtype, 0, -1)).to(xg::device(dt, di)))
}
XG_API TH xg_randn(const int64_t* shape, int ndim, GH g, int dtype, int dt, int di) {
  XG_TENSOR(at::randn(xg::dims(shape, ndim), gen_of(g), xg::options(dtype, 0, -1)).to(xg::device(dt, di)))
}
XG_API TH xg_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, GH g, int dtype, int dt, int di) {
  XG_TENSOR(at::randint(low, high, xg::dims(shape, ndim), gen_of(g), xg::options(dtype, 0, -1)).to(xg::device(dt, di)))
}
XG_API TH xg_randperm(int64_t n, GH g, int dt, int di) {
  XG_TENSOR(at::randperm(n, gen_of(g), at::TensorOptions().dtype(at::kLong)).to(xg::device(dt, di)))
}
XG_API TH xg_bernoulli(TH p, GH g) {
  XG_TENSOR(at::bernoulli(p->to(at::kCPU), gen_of(g)).to(p->device()))
}
XG_API TH xg_normal(double mean, double std, const int64_t* shape, int ndim, GH g, int dtype, int dt, int di) {
  XG_TENSOR(at::normal(mean, std, xg::dims(shape, ndim), gen_of(g), xg::options(dtype, 0, -1)).to(xg::device(dt, di)))
}

// at::mt19937's seeding (init_with_uint32) for up to kSeedLanes seeds at once: the recurrence is serial within a seed,
// so stepping several side by side lets the CPU overlap them (about 3x faster than one seed after another).
constexpr int kSeedLanes = 8;
static void mt19937_seeded(const uint64_t* seeds, int n, at::mt19937_data_pod* pods) {
  uint32_t s[kSeedLanes] = {};
  for (int l = 0; l < n; l++) {
    s[l] = static_cast<uint32_t>(seeds[l] & 0xffffffff);
    pods[l].seed_ = seeds[l];
    pods[l].seeded_ = true;
    pods[l].left_ = 1;
    pods[l].next_ = 0;
    pods[l].state_[0] = s[l];
  }
  for (uint32_t j = 1; j < pods[0].state_.size(); j++) {
    for (int l = 0; l < kSeedLanes; l++) s[l] = 1812433253u * (s[l] ^ (s[l] >> 30)) + j;
    for (int l = 0; l < n; l++) pods[l].state_[j] = s[l];
  }
}

// Many samples' draws in one call, each sample from its own seed: a generator in the state of a new one seeded with
// seeds[k] fills row k of outs[0], outs[1], ... in order, kinds 0 uniform on [0, 1), 1 standard normal, 2 integers on
// [lows[i], highs[i]). Uniform and integer rows are drawn with the distributions uniform_ and random_(low, high) apply
// element by element, normal rows by normal_ itself, so row k holds what at::rand, randn and randint (those in-place
// draws on a new contiguous tensor) give with a new generator seeded seeds[k].
XG_API int xg_seeded_rows(const uint64_t* seeds, int64_t n, TH* outs, const int* kinds, const int64_t* lows,
                          const int64_t* highs, int count) {
  XG_STATUS(({
    for (int i = 0; i < count; i++) {
      const auto& out = *outs[i];
      TORCH_CHECK(out.device().is_cpu() && out.is_contiguous() && out.dim() >= 1 && out.size(0) == n,
                  "seeded rows: output ", i, " must be a contiguous CPU tensor of ", n, " rows, got ", out.sizes());
      TORCH_CHECK(kinds[i] == 2 ? out.scalar_type() == at::kLong && lows[i] < highs[i]
                                : kinds[i] >= 0 && kinds[i] <= 1 && (out.scalar_type() == at::kFloat || out.scalar_type() == at::kDouble),
                  "seeded rows: draw ", i, " of kind ", kinds[i], " cannot fill ", out.scalar_type());
    }
    auto gen = at::detail::createCPUGenerator(0);
    auto* impl = at::check_generator<at::CPUGeneratorImpl>(gen);
    at::mt19937_data_pod pods[kSeedLanes];
    at::mt19937 engine;
    for (int64_t first = 0; first < n; first += kSeedLanes) {
      int lanes = static_cast<int>(std::min<int64_t>(kSeedLanes, n - first));
      mt19937_seeded(seeds + first, lanes, pods);
      for (int l = 0; l < lanes; l++) {
        int64_t k = first + l;
        // What set_current_seed does: a freshly seeded engine and no cached normal sample.
        engine.set_data(pods[l]);
        impl->set_engine(engine);
        impl->set_next_float_normal_sample(c10::nullopt);
        impl->set_next_double_normal_sample(c10::nullopt);
        for (int i = 0; i < count; i++) {
          auto& out = *outs[i];
          int64_t row = out.numel() / n;
          if (kinds[i] == 1) {
            out.select(0, k).normal_(0, 1, gen);
          } else if (kinds[i] == 2) {
            int64_t* d = out.data_ptr<int64_t>() + k * row;
            at::uniform_int_from_to_distribution<int64_t> integers(static_cast<uint64_t>(highs[i]) - static_cast<uint64_t>(lows[i]), lows[i]);
            for (int64_t j = 0; j < row; j++) d[j] = integers(impl);
          } else {
            AT_DISPATCH_FLOATING_TYPES(out.scalar_type(), "seeded_rows_uniform", [&] {
              scalar_t* d = out.data_ptr<scalar_t>() + k * row;
              at::uniform_real_distribution<scalar_t> uniform(0, 1);
              for (int64_t j = 0; j < row; j++) d[j] = static_cast<scalar_t>(uniform(impl));
            });
          }
        }
      }
    }
  }))
}

// ---- conversion and copies ----
XG_API TH xg_to(TH t, int dtype, int dt, int di) {
  XG_TENSOR(t->to(xg::device(dt, di), static_cast<at::ScalarType>(dtype)))
}
XG_API TH xg_clone(TH t) { XG_TENSOR(t->clone()) }
XG_API TH xg_detach(TH t) { XG_TENSOR(t->detach()) }
XG_API TH xg_contiguous(TH t) { XG_TENSOR(t->contiguous()) }
XG_API TH xg_alias(TH t) { XG_TENSOR(*t) }
XG_API int xg_copy_(TH dst, TH src) { XG_STATUS(dst->copy_(*src)) }
XG_API int xg_zero_(TH t) { XG_STATUS(t->zero_()) }
XG_API int xg_fill_(TH t, double v) { XG_STATUS(t->fill_(v)) }

// ---- shape and views ----
XG_API TH xg_view(TH t, const int64_t* shape, int n) { XG_TENSOR(t->view(xg::dims(shape, n))) }
XG_API TH xg_reshape(TH t, const int64_t* shape, int n) { XG_TENSOR(t->reshape(xg::dims(shape, n))) }
XG_API TH xg_permute(TH t, const int64_t* d, int n) { XG_TENSOR(t->permute(xg::dims(d, n))) }
XG_API TH xg_transpose(TH t, int64_t a, int64_t b) { XG_TENSOR(t->transpose(a, b)) }
XG_API TH xg_flatten(TH t, int64_t start, int64_t end) { XG_TENSOR(t->flatten(start, end)) }
XG_API TH xg_unsqueeze(TH t, int64_t d) { XG_TENSOR(t->unsqueeze(d)) }
XG_API TH xg_squeeze(TH t) { XG_TENSOR(t->squeeze()) }
XG_API TH xg_squeeze_dim(TH t, int64_t d) { XG_TENSOR(t->squeeze(d)) }
XG_API TH xg_expand(TH t, const int64_t* shape, int n) { XG_TENSOR(t->expand(xg::dims(shape, n))) }
XG_API TH xg_repeat(TH t, const int64_t* r, int n) { XG_TENSOR(t->repeat(xg::dims(r, n))) }
XG_API TH xg_narrow(TH t, int64_t dim, int64_t start, int64_t length) { XG_TENSOR(t->narrow(dim, start, length)) }
XG_API TH xg_select(TH t, int64_t dim, int64_t index) { XG_TENSOR(t->select(dim, index)) }
XG_API TH xg_index_select(TH t, int64_t dim, TH index) { XG_TENSOR(t->index_select(dim, *index)) }
XG_API TH xg_gather(TH t, int64_t dim, TH index) { XG_TENSOR(t->gather(dim, *index)) }
XG_API TH xg_scatter(TH t, int64_t dim, TH index, TH src) { XG_TENSOR(t->scatter(dim, *index, *src)) }
XG_API TH xg_masked_fill(TH t, TH mask, double v) { XG_TENSOR(t->masked_fill(*mask, v)) }
XG_API TH xg_masked_select(TH t, TH mask) { XG_TENSOR(t->masked_select(*mask)) }
XG_API TH xg_flip(TH t, const int64_t* d, int n) { XG_TENSOR(t->flip(xg::dims(d, n))) }
XG_API TH xg_roll(TH t, const int64_t* shifts, const int64_t* d, int n) { XG_TENSOR(t->roll(xg::dims(shifts, n), xg::dims(d, n))) }

static std::vector<at::Tensor> deref(TH* ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) v.push_back(*ts[i]);
  return v;
}
XG_API TH xg_cat(TH* ts, int n, int64_t dim) { XG_TENSOR(at::cat(deref(ts, n), dim)) }
XG_API TH xg_stack(TH* ts, int n, int64_t dim) { XG_TENSOR(at::stack(deref(ts, n), dim)) }
