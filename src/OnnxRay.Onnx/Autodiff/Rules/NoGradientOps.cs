namespace OnnxRay.Onnx.Autodiff.Rules;

/// <summary>Shape and index computations that carry no gradient (§6.8): their outputs are constants for the reverse pass.</summary>
public sealed class NoGradientOps : INonDifferentiableOps
{
    public IReadOnlyCollection<string> OpTypes { get; } =
    [
        "Shape", "Size", "Range", "ConstantOfShape", "Constant", "EyeLike", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "Not", "And", "Or", "Xor", "NonZero", "ArgMax", "ArgMin", "IsNaN", "IsInf", "Floor", "Ceil", "Round", "Sign", "OneHot",
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial", "BitShift",
        "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot",
    ];
}
