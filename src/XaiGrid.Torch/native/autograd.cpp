// Autograd: backward, .grad, grad mode and torch.autograd.grad.
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>

#include "xg.h"

XG_API int xg_backward(TH t, TH grad, int retain_graph, int create_graph) {
  XG_STATUS(t->backward(xg::or_undefined(grad),
                        retain_graph < 0 ? c10::nullopt : c10::optional<bool>(retain_graph != 0),
                        create_graph != 0))
}

// Returns null with no error set when the tensor has no gradient.
XG_API TH xg_grad(TH t) {
  try {
    const auto& g = t->grad();
    return g.defined() ? xg::wrap(g) : nullptr;
  }
  XG_CATCH(nullptr)
}

XG_API int xg_set_grad(TH t, TH grad) { XG_STATUS(t->mutable_grad() = xg::or_undefined(grad)) }
XG_API int xg_retain_grad(TH t) { XG_STATUS(t->retain_grad()) }

XG_API int xg_set_grad_enabled(int enabled) {
  int previous = at::GradMode::is_enabled() ? 1 : 0;
  at::GradMode::set_enabled(enabled != 0);
  return previous;
}
XG_API int xg_is_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }

// torch.autograd.grad. grad_outputs entries may be null; results get null where an input is unused
// (allow_unused). retain_graph < 0 means "same as create_graph", as in PyTorch.
XG_API int xg_autograd_grad(TH* outputs, int n_out, TH* inputs, int n_in, TH* grad_outputs, int retain_graph,
                            int create_graph, int allow_unused, TH* results) {
  XG_STATUS(({
    std::vector<at::Tensor> outs, ins, gouts;
    for (int i = 0; i < n_out; i++) {
      outs.push_back(*outputs[i]);
      gouts.push_back(grad_outputs == nullptr ? at::Tensor() : xg::or_undefined(grad_outputs[i]));
    }
    for (int i = 0; i < n_in; i++) ins.push_back(*inputs[i]);
    auto grads = torch::autograd::grad(outs, ins, gouts,
                                       retain_graph < 0 ? c10::nullopt : c10::optional<bool>(retain_graph != 0),
                                       create_graph != 0, allow_unused != 0);
    for (int i = 0; i < n_in; i++) results[i] = grads[i].defined() ? xg::wrap(grads[i]) : nullptr;
  }))
}

XG_API int xg_set_num_threads(int n) { XG_STATUS(at::set_num_threads(n)) }
XG_API int xg_get_num_threads() { return at::get_num_threads(); }
XG_API int xg_cuda_is_available() { return at::hasCUDA() ? 1 : 0; }
