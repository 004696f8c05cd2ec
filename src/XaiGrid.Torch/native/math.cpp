// Elementwise math, comparisons, matrix products and reductions. Op codes match the C# enums in
// Native/OpCodes.cs; keep the two lists in the same order.
#include "xg.h"

enum Unary { NEG, ABS, EXP, LOG, SQRT, RELU, SIGMOID, TANH, SIGN, FLOOR, CEIL, ROUND, RSQRT, SQUARE,
             LOGICAL_NOT, ISNAN, ISINF, ISFINITE, SIN, COS, LOG1P, EXPM1 };
enum Binary { ADD, SUB, MUL, DIV, POW, EQ, NE, LT, LE, GT, GE, MAXIMUM, MINIMUM, LOGICAL_AND, LOGICAL_OR,
              REMAINDER, MATMUL, MM, BMM, RSUB, RDIV, RPOW };
enum Reduce { SUM, MEAN, AMAX, AMIN, ALL, ANY, PROD };

static at::Tensor unary(int op, const at::Tensor& a) {
  switch (op) {
    case NEG: return a.neg();
    case ABS: return a.abs();
    case EXP: return a.exp();
    case LOG: return a.log();
    case SQRT: return a.sqrt();
    case RELU: return a.relu();
    case SIGMOID: return a.sigmoid();
    case TANH: return a.tanh();
    case SIGN: return a.sign();
    case FLOOR: return a.floor();
    case CEIL: return a.ceil();
    case ROUND: return a.round();
    case RSQRT: return a.rsqrt();
    case SQUARE: return a.square();
    case LOGICAL_NOT: return a.logical_not();
    case ISNAN: return a.isnan();
    case ISINF: return a.isinf();
    case ISFINITE: return a.isfinite();
    case SIN: return a.sin();
    case COS: return a.cos();
    case LOG1P: return a.log1p();
    case EXPM1: return a.expm1();
  }
  TORCH_CHECK(false, "unknown unary op code ", op);
}

static at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case ADD: return a.add(b);
    case SUB: return a.sub(b);
    case MUL: return a.mul(b);
    case DIV: return a.div(b);
    case POW: return a.pow(b);
    case EQ: return a.eq(b);
    case NE: return a.ne(b);
    case LT: return a.lt(b);
    case LE: return a.le(b);
    case GT: return a.gt(b);
    case GE: return a.ge(b);
    case MAXIMUM: return at::maximum(a, b);
    case MINIMUM: return at::minimum(a, b);
    case LOGICAL_AND: return a.logical_and(b);
    case LOGICAL_OR: return a.logical_or(b);
    case REMAINDER: return a.remainder(b);
    case MATMUL: return a.matmul(b);
    case MM: return a.mm(b);
    case BMM: return a.bmm(b);
    case RSUB: return b.sub(a);
    case RDIV: return b.div(a);
    case RPOW: return b.pow(a);
  }
  TORCH_CHECK(false, "unknown binary op code ", op);
}

static at::Tensor binary_scalar(int op, const at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case ADD: return a.add(s);
    case SUB: return a.sub(s);
    case MUL: return a.mul(s);
    case DIV: return a.div(s);
    case POW: return a.pow(s);
    case EQ: return a.eq(s);
    case NE: return a.ne(s);
    case LT: return a.lt(s);
    case LE: return a.le(s);
    case GT: return a.gt(s);
    case GE: return a.ge(s);
    case REMAINDER: return a.remainder(s);
    case RSUB: return at::rsub(a, s);
    case RDIV: return a.reciprocal().mul(s);
    case RPOW: return at::pow(s, a);
  }
  TORCH_CHECK(false, "binary op code ", op, " does not take a scalar");
}

XG_API TH xg_unary(int op, TH a) { XG_TENSOR(unary(op, *a)) }
XG_API TH xg_binary(int op, TH a, TH b) { XG_TENSOR(binary(op, *a, *b)) }
XG_API TH xg_binary_scalar(int op, TH a, double s, int integral) { XG_TENSOR(binary_scalar(op, *a, xg::scalar(s, integral))) }

// In place: add_, sub_ (with alpha), mul_, div_.
XG_API int xg_inplace(int op, TH a, TH b, double alpha) {
  XG_STATUS(({
    switch (op) {
      case ADD: a->add_(*b, alpha); break;
      case SUB: a->sub_(*b, alpha); break;
      case MUL: a->mul_(*b); break;
      case DIV: a->div_(*b); break;
      default: TORCH_CHECK(false, "op code ", op, " has no in-place form");
    }
  }))
}
XG_API int xg_inplace_scalar(int op, TH a, double s, int integral) {
  XG_STATUS(({
    auto v = xg::scalar(s, integral);
    switch (op) {
      case ADD: a->add_(v); break;
      case SUB: a->sub_(v); break;
      case MUL: a->mul_(v); break;
      case DIV: a->div_(v); break;
      default: TORCH_CHECK(false, "op code ", op, " has no in-place form");
    }
  }))
}

XG_API TH xg_clamp(TH a, double lo, int has_lo, double hi, int has_hi, int integral) {
  XG_TENSOR(at::clamp(*a, has_lo ? c10::optional<at::Scalar>(xg::scalar(lo, integral)) : c10::nullopt,
                      has_hi ? c10::optional<at::Scalar>(xg::scalar(hi, integral)) : c10::nullopt))
}
XG_API TH xg_where(TH cond, TH a, TH b) { XG_TENSOR(at::where(*cond, *a, *b)) }
XG_API TH xg_addmm(TH bias, TH a, TH b) { XG_TENSOR(at::addmm(*bias, *a, *b)) }

// ---- reductions ----
// ndims == 0 reduces over all elements.
XG_API TH xg_reduce(int op, TH a, const int64_t* d, int ndims, int keepdim) {
  XG_TENSOR(([&]() -> at::Tensor {
    auto dl = xg::dims(d, ndims);
    bool k = keepdim != 0;
    if (ndims == 0) {
      switch (op) {
        case SUM: return a->sum();
        case MEAN: return a->mean();
        case AMAX: return a->max();
        case AMIN: return a->min();
        case ALL: return a->all();
        case ANY: return a->any();
        case PROD: return a->prod();
      }
    } else {
      switch (op) {
        case SUM: return a->sum(dl, k);
        case MEAN: return a->mean(dl, k);
        case AMAX: return a->amax(dl, k);
        case AMIN: return a->amin(dl, k);
        case ALL: TORCH_CHECK(ndims == 1, "all takes one dim"); return a->all(d[0], k);
        case ANY: TORCH_CHECK(ndims == 1, "any takes one dim"); return a->any(d[0], k);
        case PROD: TORCH_CHECK(ndims == 1, "prod takes one dim"); return a->prod(d[0], k);
      }
    }
    TORCH_CHECK(false, "unknown reduce op code ", op);
  })())
}

XG_API TH xg_var(TH a, const int64_t* d, int ndims, int unbiased, int keepdim, int is_std) {
  XG_TENSOR(([&]() -> at::Tensor {
    c10::optional<at::IntArrayRef> dl = ndims == 0 ? c10::nullopt : c10::optional<at::IntArrayRef>(xg::dims(d, ndims));
    return is_std ? at::std(*a, dl, unbiased != 0, keepdim != 0) : at::var(*a, dl, unbiased != 0, keepdim != 0);
  })())
}

XG_API int xg_max_dim(TH a, int64_t dim, int keepdim, int is_min, TH* values, TH* indices) {
  XG_STATUS(({
    auto r = is_min ? at::min(*a, dim, keepdim != 0) : at::max(*a, dim, keepdim != 0);
    *values = xg::wrap(std::get<0>(r));
    *indices = xg::wrap(std::get<1>(r));
  }))
}
XG_API TH xg_argmax(TH a, int64_t dim, int has_dim, int keepdim, int is_min) {
  XG_TENSOR(([&] {
    c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
    return is_min ? a->argmin(d, keepdim != 0) : a->argmax(d, keepdim != 0);
  })())
}
XG_API int xg_topk(TH a, int64_t k, int64_t dim, int largest, int sorted, TH* values, TH* indices) {
  XG_STATUS(({
    auto r = a->topk(k, dim, largest != 0, sorted != 0);
    *values = xg::wrap(std::get<0>(r));
    *indices = xg::wrap(std::get<1>(r));
  }))
}
XG_API int xg_sort(TH a, int64_t dim, int descending, int stable, TH* values, TH* indices) {
  XG_STATUS(({
    auto r = a->sort(c10::optional<bool>(stable != 0), dim, descending != 0);
    *values = xg::wrap(std::get<0>(r));
    *indices = xg::wrap(std::get<1>(r));
  }))
}
XG_API TH xg_cumsum(TH a, int64_t dim) { XG_TENSOR(a->cumsum(dim)) }
