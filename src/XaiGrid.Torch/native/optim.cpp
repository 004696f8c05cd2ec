// Optimizer steps over all parameters in one native call: a training step of a small model is
// bound by per-call overhead, so the update loop runs here rather than op by op from .NET.
// The update rules are PyTorch 1.13's single-tensor (for-loop) implementations.
#include <ATen/core/grad_mode.h>

#include "xg.h"

// SGD. buffers[i] is the momentum buffer; where it is null (the parameter's first step with a gradient)
// a new buffer is created and handed back in its place, which the caller then owns.
XG_API int xg_sgd_step(TH* params, TH* buffers, int n, double lr, double momentum, double dampening,
                       double weight_decay, int nesterov, int maximize) {
  XG_STATUS(({
    at::NoGradGuard guard;
    for (int i = 0; i < n; i++) {
      auto& p = *params[i];
      const auto& g = p.grad();
      if (!g.defined()) continue;
      at::Tensor d_p = maximize ? g.neg() : g;
      if (weight_decay != 0) d_p = d_p.add(p, weight_decay);
      if (momentum != 0) {
        if (buffers[i] == nullptr) {
          buffers[i] = xg::wrap(d_p.clone().detach());
        } else {
          buffers[i]->mul_(momentum).add_(d_p, 1 - dampening);
        }
        d_p = nesterov ? d_p.add(*buffers[i], momentum) : *buffers[i];
      }
      p.add_(d_p, -lr);
    }
  }))
}

// Adam (not AdamW: weight decay is added to the gradient, as torch.optim.Adam does). `step` counts from 1.
XG_API int xg_adam_step(TH* params, TH* exp_avg, TH* exp_avg_sq, TH* max_exp_avg_sq, int n, int64_t step, double lr,
                        double beta1, double beta2, double eps, double weight_decay, int amsgrad, int maximize) {
  XG_STATUS(({
    at::NoGradGuard guard;
    double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
    double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
    double step_size = lr / bias_correction1;
    double bias_correction2_sqrt = std::sqrt(bias_correction2);
    for (int i = 0; i < n; i++) {
      auto& p = *params[i];
      const auto& g = p.grad();
      if (!g.defined()) continue;
      at::Tensor grad = maximize ? g.neg() : g;
      if (weight_decay != 0) grad = grad.add(p, weight_decay);
      auto& m = *exp_avg[i];
      auto& v = *exp_avg_sq[i];
      m.mul_(beta1).add_(grad, 1 - beta1);
      v.mul_(beta2).addcmul_(grad, grad.conj(), 1 - beta2);
      at::Tensor denom;
      if (amsgrad) {
        auto& vmax = *max_exp_avg_sq[i];
        at::maximum_out(vmax, vmax, v);
        denom = (vmax.sqrt() / bias_correction2_sqrt).add_(eps);
      } else {
        denom = (v.sqrt() / bias_correction2_sqrt).add_(eps);
      }
      p.addcdiv_(m, denom, -step_size);
    }
  }))
}
