// A network as a flat list of steps (convolution, ReLU, max pooling, global mean, flatten, linear) run by oneDNN
// directly: the forward pass, and the backward pass of a given dQ/dlogits down to any step's output, without
// autograd. PyTorch's oneDNN convolutions build primitive descriptors and reorder weights and activations on every
// call; on small inputs (MNIST-1D: 25 channels, length 40) that glue costs several times the convolution itself.
// Here the primitives are built once per input shape, activations stay in the layouts the primitives chose, and
// weights are reordered once per version of the parameter tensors.
#include "xg.h"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

namespace {
using namespace dnnl;
using dt = memory::data_type;
using tag = memory::format_tag;

// Kept equal to ProgramStep.Kind on the C# side.
enum Kind : int32_t { Conv = 0, Relu = 1, MaxPool = 2, GlobalMean = 3, Flatten = 4, Linear = 5 };

engine& cpu() {
  static engine e(engine::kind::cpu, 0);
  return e;
}

memory::desc plain(const memory::dims& d) {
  return memory::desc(d, dt::f32, d.size() == 2 ? tag::ab : d.size() == 3 ? tag::abc : tag::abcd);
}

memory::desc any(const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); }

struct Step {
  Kind kind;
  int64_t kernel[2], stride[2], padding[2];  // pooling; a convolution takes its kernel from the weight
};

// A parameter reordered into the layout a primitive wants, redone when the tensor or its version changes.
struct Packed {
  memory mem;
  const void* source = nullptr;
  int64_t version = -1;

  const memory& get(const at::Tensor& t, const memory::desc& plain_desc, const memory::desc& wanted, stream& s) {
    TORCH_CHECK(t.is_contiguous() && t.scalar_type() == at::kFloat, "a program's parameters are contiguous float32");
    if (source == t.data_ptr() && version == t._version()) return mem;
    memory from(plain_desc, cpu(), t.data_ptr());
    if (wanted == plain_desc) {
      // Same layout: a private copy, so that an in-place change of the parameter is seen through its version.
      mem = memory(wanted, cpu());
      std::memcpy(mem.get_data_handle(), t.data_ptr(), wanted.get_size());
    } else {
      mem = memory(wanted, cpu());
      reorder(from, mem).execute(s, from, mem);
      s.wait();
    }
    source = t.data_ptr();
    version = t._version();
    return mem;
  }
};

// One step's primitives for one input shape.
struct StepPlan {
  memory::dims out_dims;
  memory::desc src, dst;  // what the forward primitive reads and writes
  primitive fwd;
  memory::desc weights_plain, fwd_weights, bias;
  Packed fwd_packed, bwd_packed;
  memory::desc workspace;  // max pooling: where each maximum was
  primitive bwd;
  memory::desc diff_dst, diff_src, bwd_weights;
  bool identity = false;  // flatten: the next linear step reads every position itself
  bool flat = false;      // global mean: (N, C, 1, 1) here, (N, C) in PyTorch
};

memory::dims conv_out(const memory::dims& in, int64_t o, const int64_t* k, const int64_t* s, const int64_t* p) {
  return {in[0], o, (in[2] + 2 * p[0] - k[0]) / s[0] + 1, (in[3] + 2 * p[1] - k[1]) / s[1] + 1};
}

// A step's forward and backward-data primitives and the layouts they read and write.
template <typename Forward, typename Backward>
void set_primitives(StepPlan& p, const typename Forward::primitive_desc& fpd, const typename Backward::primitive_desc& bpd) {
  p.src = fpd.src_desc();
  p.dst = fpd.dst_desc();
  p.fwd = Forward(fpd);
  p.diff_dst = bpd.diff_dst_desc();
  p.diff_src = bpd.diff_src_desc();
  p.bwd = Backward(bpd);
}

// The same, for a step with weights, whose layouts the two primitives choose each.
template <typename Forward, typename Backward>
void set_weighted_primitives(StepPlan& p, const typename Forward::primitive_desc& fpd,
                             const typename Backward::primitive_desc& bpd) {
  set_primitives<Forward, Backward>(p, fpd, bpd);
  p.fwd_weights = fpd.weights_desc();
  p.bwd_weights = bpd.weights_desc();
}

class Program {
 public:
  Program(std::vector<Step> steps, bool one_d) : steps_(std::move(steps)), one_d_(one_d) {}

  // weights[i], biases[i]: the parameters of step i (undefined for parameterless steps, or an absent bias).
  void run(const at::Tensor& x, const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& biases,
           const at::Tensor& seed, int64_t at, at::Tensor* logits, at::Tensor* activation, at::Tensor* gradient) {
    std::lock_guard<std::mutex> lock(mutex_);
    at::internal::lazy_init_num_threads();
    TORCH_CHECK(x.scalar_type() == at::kFloat && x.device().is_cpu(), "a program runs float32 CPU inputs, got ",
                x.toString());
    TORCH_CHECK(x.dim() == (one_d_ ? 3 : 4), "a ", one_d_ ? "1-D" : "2-D", " program takes inputs of ",
                one_d_ ? 3 : 4, " dimensions, got ", x.sizes());
    TORCH_CHECK(at >= -1 && at < static_cast<int64_t>(steps_.size()), "step ", at, " is outside [-1, ",
                steps_.size(), ")");
    at::Tensor input = x.contiguous();
    memory::dims dims = one_d_ ? memory::dims{x.size(0), x.size(1), 1, x.size(2)}
                               : memory::dims{x.size(0), x.size(1), x.size(2), x.size(3)};
    auto& plan = plan_for(dims, weights, biases);
    stream s(cpu());

    // Forward: outputs[i] is step i's output, in the layout its primitive chose. A ReLU overwrites its input (the
    // step before it, unless that is the caller's x) and its backward pass reads its output, so a pass keeps one
    // buffer per convolution and ReLU pair, not two: on vgg7's 150 x 150 tiles each is hundreds of MB per batch.
    std::vector<memory> inputs(steps_.size()), outputs(steps_.size()), workspaces(steps_.size());
    memory current(plain(dims), cpu(), input.data_ptr());
    bool owned = false;  // whether `current` is a buffer of this pass rather than the caller's x
    for (size_t i = 0; i < steps_.size(); i++) {
      auto& p = plan[i];
      if (p.identity) {
        inputs[i] = outputs[i] = current;
        continue;
      }
      inputs[i] = in_layout(current, p.src, s);
      bool reordered = inputs[i].get_data_handle() != current.get_data_handle();
      outputs[i] = steps_[i].kind == Relu && (owned || reordered) ? inputs[i] : memory(p.dst, cpu());
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, inputs[i]}, {DNNL_ARG_DST, outputs[i]}};
      if (steps_[i].kind == Conv || steps_[i].kind == Linear) {
        args[DNNL_ARG_WEIGHTS] = p.fwd_packed.get(weights[i], p.weights_plain, p.fwd_weights, s);
        if (biases[i].defined()) args[DNNL_ARG_BIAS] = memory(p.bias, cpu(), biases[i].data_ptr());
      }
      if (steps_[i].kind == MaxPool) {
        workspaces[i] = memory(p.workspace, cpu());
        args[DNNL_ARG_WORKSPACE] = workspaces[i];
      }
      p.fwd.execute(s, args);
      // Read now: a ReLU after this step may overwrite it.
      if (static_cast<int64_t>(i) == at) *activation = to_tensor(outputs[i], p.out_dims, s, p.flat);
      current = outputs[i];
      owned = true;
      if (!seed.defined()) {
        // Nothing goes backward: what this step read can go now, so a pass holds two activations, not all of them.
        inputs[i] = memory();
        workspaces[i] = memory();
        if (i > 0) outputs[i - 1] = memory();
      }
    }
    if (at >= 0 && plan[at].identity) *activation = to_tensor(outputs[at], plan[at].out_dims, s, plan[at].flat);
    *logits = to_tensor(current, plan.back().out_dims, s);
    if (!seed.defined()) {
      s.wait();
      return;
    }

    // Backward from dQ/dlogits down to the output of step `at` (the input when at = -1).
    TORCH_CHECK(seed.scalar_type() == at::kFloat && seed.dim() == 2 && seed.size(0) == x.size(0) &&
                    seed.size(1) == plan.back().out_dims[1],
                "dQ/dlogits must be float32 (", x.size(0), ", ", plan.back().out_dims[1], "), got ", seed.toString(),
                " ", seed.sizes());
    at::Tensor seed_c = seed.contiguous();
    memory diff(plain(plan.back().out_dims), cpu(), seed_c.data_ptr());
    for (int64_t i = static_cast<int64_t>(steps_.size()) - 1; i > at; i--) {
      auto& p = plan[i];
      if (p.identity) continue;
      memory diff_dst = in_layout(diff, p.diff_dst, s);
      memory diff_src(p.diff_src, cpu());
      std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}};
      switch (steps_[i].kind) {
        case Conv:
        case Linear:
          args[DNNL_ARG_WEIGHTS] = p.bwd_packed.get(weights[i], p.weights_plain, p.bwd_weights, s);
          break;
        case Relu:
          args[DNNL_ARG_DST] = outputs[i];
          break;
        case MaxPool:
          args[DNNL_ARG_WORKSPACE] = workspaces[i];
          break;
        default:
          break;
      }
      p.bwd.execute(s, args);
      diff = diff_src;
    }
    *gradient = at >= 0 ? to_tensor(diff, plan[at].out_dims, s, plan[at].flat) : to_tensor(diff, dims, s);
    s.wait();
  }

 private:
  // `m` in layout `wanted`: itself, or a reordered copy.
  static memory in_layout(memory m, const memory::desc& wanted, stream& s) {
    if (m.get_desc() == wanted) return m;
    memory out(wanted, cpu());
    reorder(m, out).execute(s, m, out);
    return out;
  }

  // A new tensor in PyTorch's layout and shape: 1-D programs drop the unit height they run with, and a global mean
  // (`flat`) its unit positions.
  at::Tensor to_tensor(memory m, const memory::dims& d, stream& s, bool flat = false) const {
    std::vector<int64_t> shape(d.begin(), d.end());
    if (flat) shape.resize(2);
    else if (one_d_ && shape.size() == 4) shape.erase(shape.begin() + 2);
    at::Tensor t = at::empty(shape, at::kFloat);
    memory out(plain(d), cpu(), t.data_ptr());
    reorder(m, out).execute(s, m, out);
    return t;
  }

  std::vector<StepPlan>& plan_for(const memory::dims& dims, const std::vector<at::Tensor>& weights,
                                  const std::vector<at::Tensor>& biases) {
    auto found = plans_.find(dims);
    if (found != plans_.end()) return found->second;
    std::vector<StepPlan> plan(steps_.size());
    memory::dims in = dims;
    memory::desc current = plain(dims);
    for (size_t i = 0; i < steps_.size(); i++) {
      const Step& step = steps_[i];
      auto& p = plan[i];
      switch (step.kind) {
        case Conv: {
          TORCH_CHECK(in.size() == 4, "step ", i, ": a convolution needs a (N, C, H, W) input");
          const at::Tensor& w = weights[i];
          TORCH_CHECK(w.dim() == (one_d_ ? 3 : 4) && w.size(1) == in[1], "step ", i, ": convolution weight ",
                      w.sizes(), " does not fit an input of ", in[1], " channels");
          memory::dims wd = one_d_ ? memory::dims{w.size(0), w.size(1), 1, w.size(2)}
                                   : memory::dims{w.size(0), w.size(1), w.size(2), w.size(3)};
          int64_t k[2] = {wd[2], wd[3]};
          p.out_dims = conv_out(in, wd[0], k, step.stride, step.padding);
          TORCH_CHECK(p.out_dims[2] > 0 && p.out_dims[3] > 0, "step ", i, ": the input is smaller than the kernel");
          memory::dims strides{step.stride[0], step.stride[1]}, pads{step.padding[0], step.padding[1]};
          p.weights_plain = plain(wd);
          p.bias = biases[i].defined() ? memory::desc({wd[0]}, dt::f32, tag::a) : memory::desc();
          auto fd = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, any(in),
                                              any(wd), p.bias, any(p.out_dims), strides, pads, pads);
          convolution_forward::primitive_desc fpd(fd, cpu());
          auto bd = convolution_backward_data::desc(algorithm::convolution_direct, any(in), any(wd),
                                                    any(p.out_dims), strides, pads, pads);
          convolution_backward_data::primitive_desc bpd(bd, cpu(), fpd);
          set_weighted_primitives<convolution_forward, convolution_backward_data>(p, fpd, bpd);
          break;
        }
        case Relu: {
          p.out_dims = in;
          // Differentiated from its output, which the forward pass may write over its input.
          auto fd = eltwise_forward::desc(prop_kind::forward_training, algorithm::eltwise_relu_use_dst_for_bwd,
                                          current, 0.f, 0.f);
          eltwise_forward::primitive_desc fpd(fd, cpu());
          auto bd = eltwise_backward::desc(algorithm::eltwise_relu_use_dst_for_bwd, current, current, 0.f, 0.f);
          eltwise_backward::primitive_desc bpd(bd, cpu(), fpd);
          set_primitives<eltwise_forward, eltwise_backward>(p, fpd, bpd);
          break;
        }
        case MaxPool:
        case GlobalMean: {
          TORCH_CHECK(in.size() == 4, "step ", i, ": pooling needs a (N, C, H, W) input");
          int64_t k[2], s[2], pad[2];
          if (step.kind == GlobalMean) {
            k[0] = in[2], k[1] = in[3], s[0] = s[1] = 1, pad[0] = pad[1] = 0;
          } else {
            for (int d = 0; d < 2; d++) k[d] = step.kernel[d], s[d] = step.stride[d], pad[d] = step.padding[d];
          }
          // PyTorch's floor mode: positions past the last whole window are dropped (oneDNN checks with integer
          // division, so a zero right padding expresses it).
          p.out_dims = conv_out(in, in[1], k, s, pad);
          TORCH_CHECK(p.out_dims[2] > 0 && p.out_dims[3] > 0, "step ", i, ": the input is smaller than the window");
          memory::dims kernel{k[0], k[1]}, strides{s[0], s[1]}, pl{pad[0], pad[1]}, pr{pad[0], pad[1]};
          for (int d = 0; d < 2; d++)
            pr[d] = std::max<int64_t>(0, (p.out_dims[2 + d] - 1) * s[d] + k[d] - in[2 + d] - pad[d]);
          auto alg = step.kind == MaxPool ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding;
          auto fd = pooling_forward::desc(prop_kind::forward_training, alg, current, any(p.out_dims), strides,
                                          kernel, pl, pr);
          pooling_forward::primitive_desc fpd(fd, cpu());
          auto bd = pooling_backward::desc(alg, any(in), any(p.out_dims), strides, kernel, pl, pr);
          pooling_backward::primitive_desc bpd(bd, cpu(), fpd);
          set_primitives<pooling_forward, pooling_backward>(p, fpd, bpd);
          p.workspace = fpd.workspace_desc();
          p.flat = step.kind == GlobalMean;
          break;
        }
        case Flatten:
          TORCH_CHECK(i + 1 < steps_.size() && steps_[i + 1].kind == Linear, "step ", i,
                      ": flatten is supported only right before a linear step");
          p.identity = true;
          p.out_dims = in;
          p.dst = current;
          break;
        case Linear: {
          const at::Tensor& w = weights[i];
          int64_t features = 1;
          for (size_t d = 1; d < in.size(); d++) features *= in[d];
          TORCH_CHECK(w.dim() == 2 && w.size(1) == features, "step ", i, ": linear weight ", w.sizes(),
                      " does not fit ", features, " input features");
          memory::dims wd = in;
          wd[0] = w.size(0);
          p.out_dims = {in[0], w.size(0)};
          p.weights_plain = plain(wd);
          p.bias = biases[i].defined() ? memory::desc({w.size(0)}, dt::f32, tag::a) : memory::desc();
          auto fd = inner_product_forward::desc(prop_kind::forward_training, any(in), any(wd), p.bias,
                                                any(p.out_dims));
          inner_product_forward::primitive_desc fpd(fd, cpu());
          auto bd = inner_product_backward_data::desc(any(in), any(wd), any(p.out_dims));
          inner_product_backward_data::primitive_desc bpd(bd, cpu(), fpd);
          set_weighted_primitives<inner_product_forward, inner_product_backward_data>(p, fpd, bpd);
          break;
        }
        default:
          TORCH_CHECK(false, "step ", i, ": unknown kind ", static_cast<int>(step.kind));
      }
      in = p.out_dims;
      current = p.dst;
    }
    TORCH_CHECK(in.size() == 2, "a program must end with a linear step that gives (N, classes)");
    return plans_.emplace(dims, std::move(plan)).first->second;
  }

  std::vector<Step> steps_;
  bool one_d_;
  std::map<memory::dims, std::vector<StepPlan>> plans_;
  std::mutex mutex_;
};

}  // namespace

// oneDNN reports failures as dnnl::error, a std::exception: XG_CATCH passes its message on.

// kinds[i] is a Kind; params holds 6 values per step: kernel (2), stride (2), padding (2), height first.
XG_API void* xg_program_new(int n, const int32_t* kinds, const int64_t* params, int one_d) {
  try {
    std::vector<Step> steps(n);
    for (int i = 0; i < n; i++) {
      steps[i].kind = static_cast<Kind>(kinds[i]);
      for (int d = 0; d < 2; d++) {
        steps[i].kernel[d] = params[6 * i + d];
        steps[i].stride[d] = params[6 * i + 2 + d];
        steps[i].padding[d] = params[6 * i + 4 + d];
      }
    }
    TORCH_CHECK(n > 0 && steps.back().kind == Linear, "a program must end with a linear step");
    return new Program(std::move(steps), one_d != 0);
  }
  XG_CATCH(nullptr)
}

XG_API void xg_program_free(void* program) { delete static_cast<Program*>(program); }

// weights and biases: one handle per step (null where there is none). seed: dQ/dlogits (N, K), or null for the
// forward pass alone. at: the step whose output's gradient (and value) is wanted, -1 for the input.
XG_API int xg_program_run(void* program, TH x, int n, TH* weights, TH* biases, TH seed, int64_t at, TH* logits,
                          TH* activation, TH* gradient) {
  XG_STATUS(({
    std::vector<at::Tensor> w(n), b(n);
    for (int i = 0; i < n; i++) {
      w[i] = xg::or_undefined(weights[i]);
      b[i] = xg::or_undefined(biases[i]);
    }
    at::Tensor l, a, g;
    static_cast<Program*>(program)->run(*x, w, b, xg::or_undefined(seed), at, &l, &a, &g);
    *logits = xg::wrap(l);
    *activation = a.defined() ? xg::wrap(a) : nullptr;
    *gradient = g.defined() ? xg::wrap(g) : nullptr;
  }))
}
