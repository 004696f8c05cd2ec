namespace XaiGrid.Torch.Native;

// These mirror the enums at the top of native/math.cpp; keep both in the same order.
internal enum UnaryOp
{
    Neg, Abs, Exp, Log, Sqrt, Relu, Sigmoid, Tanh, Sign, Floor, Ceil, Round, Rsqrt, Square,
    LogicalNot, IsNan, IsInf, IsFinite, Sin, Cos, Log1p, Expm1,
}

internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Eq, Ne, Lt, Le, Gt, Ge, Maximum, Minimum, LogicalAnd, LogicalOr,
    Remainder, Matmul, Mm, Bmm, RSub, RDiv, RPow,
}

internal enum ReduceOp { Sum, Mean, Amax, Amin, All, Any, Prod }
