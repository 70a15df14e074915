using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Emits a likelihood head (§7): the batch log-likelihood as a sum of scalar terms, each times a constant k (the
/// builder applies s·k, in the graph or on the host), and, in closed form, its gradient with respect to the prediction
/// (already multiplied by the likelihood scale s), which seeds the reverse pass. In the graph, s only ever enters
/// through <see cref="CoefficientInputs"/>.
/// </summary>
internal static class LikelihoodHead
{
    /// <param name="Terms">s·log-likelihood = s·(Σ Value·PerScale + ConstantPerScale).</param>
    internal sealed record Result(IReadOnlyList<(string Value, double PerScale)> Terms, double ConstantPerScale,
        IReadOnlyList<(string Value, string Gradient)> Seeds);

    /// <param name="prediction">The model output the head reads.</param>
    /// <param name="target">The target input (null for output:/loss: heads).</param>
    /// <param name="coefficients">Where the head's scale-dependent inputs come from.</param>
    /// <param name="logSigma">The learned-noise parameter tensor (scalar), for the learned gaussian.</param>
    /// <param name="maskIgnoredTargets">False when no target can equal the categorical ignore index: no mask nodes.</param>
    public static Result Emit(GraphEmitter e, LikelihoodSpec spec, string prediction, string? target, CoefficientInputs coefficients, string? logSigma, string dataSource,
        bool maskIgnoredTargets = true)
    {
        var p = e.RequireType(prediction);
        if (p.ElementType != OnnxType.Float)
            throw new DensityOptionException(LikelihoodSpec.OptionName, $"model output '{prediction}' has ONNX element type {p.ElementType}; the heads need float32.");
        string C(double v) => e.ConstScalar(v);
        string Op(string op, params string[] inputs) => e.Op(op, inputs);
        string SumAll(string v) => e.Op("ReduceSum", [v], Attr.Int("keepdims", 0));
        // s·k: the scale times a constant, as one host-computed input.
        string Scaled(double k, long[]? shape = null) => coefficients.Scalar("likelihood_coefficient", k, 0, shape);
        var n = p.ElementCount;

        switch (spec.Kind)
        {
            case LikelihoodKind.Output or LikelihoodKind.Loss:
                {
                    if (n != 1)
                        throw new DensityOptionException(LikelihoodSpec.OptionName, $"model output '{prediction}' has shape [{string.Join(",", p.Shape)}]; {spec} needs a scalar.");
                    // loss: log-likelihood = −loss, so both the term and the seed carry the sign (no Neg node).
                    var sign = spec.Kind == LikelihoodKind.Output ? 1.0 : -1.0;
                    return new Result([(e.Reshape(prediction, []), sign)], 0, [(prediction, Scaled(sign, p.Shape))]);
                }
            case LikelihoodKind.Categorical:
                {
                    var t = e.RequireType(target!);
                    if (p.Shape.Length < 2 || !t.Shape.SequenceEqual(p.Shape[..^1]))
                        throw new DataMismatchException(dataSource, "target",
                            $"categorical needs targets of shape [{string.Join(",", p.Shape[..Math.Max(0, p.Shape.Length - 1)])}] for logits '{prediction}' of shape [{string.Join(",", p.Shape)}], got [{string.Join(",", t.Shape)}].");
                    if (t.ElementType != OnnxType.Int64)
                        throw new DataMismatchException(dataSource, "target", $"categorical needs int64 class indices, got ONNX element type {t.ElementType}.");
                    var logp = e.Op("LogSoftmax", [prediction], Attr.Int("axis", -1));
                    e.Types.Set(logp, p.Shape, OnnxType.Float);
                    var classes = p.Shape[^1];
                    if (!maskIgnoredTargets)
                    {
                        // Four nodes fewer (per-node cost dominates small batches); the same values as the masked form.
                        var plainOneHot = e.Op("OneHot", [target!, e.ConstInt64(classes), e.Const(FloatVector(0f, 1f))], Attr.Int("axis", -1));
                        e.Types.Set(plainOneHot, p.Shape, OnnxType.Float);
                        return new Result([(SumAll(Op("Mul", plainOneHot, logp)), 1.0)], 0,
                            [(prediction, Op("Mul", Op("Sub", plainOneHot, Op("Exp", logp)), Scaled(1)))]);
                    }
                    // Ignored targets become class K, outside OneHot's range [−K, K): their one-hot row is all zeros, so
                    // Σ onehot⊙log p is the masked log-likelihood without a separate mask.
                    var ignored = Op("Equal", target!, e.ConstScalar(spec.IgnoreIndex, OnnxType.Int64));
                    var oneHot = e.Op("OneHot", [Op("Where", ignored, e.ConstScalar(classes, OnnxType.Int64), target!), e.ConstInt64(classes), e.Const(FloatVector(0f, 1f))],
                        Attr.Int("axis", -1));
                    e.Types.Set(oneHot, p.Shape, OnnxType.Float);
                    var logLik = SumAll(Op("Mul", oneHot, logp));
                    // ∂/∂z = (onehot − softmax)·s on kept rows, 0 on ignored ones: the scale is masked on the [.., 1] rows, not the logits.
                    var rowScale = e.Op("Unsqueeze", [Op("Where", ignored, C(0), Scaled(1)), e.ConstInt64(-1)]);
                    var grad = Op("Mul", Op("Sub", oneHot, Op("Exp", logp)), rowScale);
                    return new Result([(logLik, 1.0)], 0, [(prediction, grad)]);
                }
            case LikelihoodKind.GaussianFixed or LikelihoodKind.GaussianLearned:
                {
                    var y = MatchTarget(e, target!, p, dataSource);
                    var r = Op("Sub", y, prediction);
                    var sumSquares = e.Op("ReduceSumSquare", [r], Attr.Int("keepdims", 0));
                    if (spec.Kind == LikelihoodKind.GaussianFixed)
                    {
                        var s = spec.Sigma;
                        return new Result([(sumSquares, -0.5 / (s * s))], n * (-Math.Log(s) - 0.5 * Math.Log(2 * Math.PI)),
                            [(prediction, Op("Mul", r, Scaled(1 / (s * s))))]);
                    }
                    // σ = exp(log_sigma): loglik = −½ Σr²·e^{−2ls} − n·ls − n/2·ln 2π.
                    var inverseVariance = Op("Exp", Op("Mul", logSigma!, C(-2)));
                    var weighted = Op("Mul", sumSquares, inverseVariance);
                    var gradMu = Op("Mul", r, Op("Mul", inverseVariance, Scaled(1)));
                    var gradLogSigma = Op("Mul", Op("Sub", weighted, C(n)), Scaled(1));
                    return new Result([(weighted, -0.5), (e.Reshape(logSigma!, []), (double)-n)], -0.5 * n * Math.Log(2 * Math.PI),
                        [(prediction, gradMu), (logSigma!, e.Reshape(gradLogSigma, e.RequireType(logSigma!).Shape))]);
                }
            default: // Bernoulli
                {
                    var y = MatchTarget(e, target!, p, dataSource);
                    // softplus(z) = relu(z) + log(1 + exp(−|z|)): no overflow for large |z|.
                    var softplus = Op("Add", Op("Relu", prediction), Op("Log", Op("Add", C(1), Op("Exp", Op("Neg", Op("Abs", prediction))))));
                    var logLik = SumAll(Op("Sub", Op("Mul", y, prediction), softplus));
                    var grad = Op("Mul", Op("Sub", y, Op("Sigmoid", prediction)), Scaled(1));
                    return new Result([(logLik, 1.0)], 0, [(prediction, grad)]);
                }
        }
    }

    /// <summary>The float target reshaped to the prediction's shape (e.g. [B] targets for [B,1] outputs).</summary>
    private static string MatchTarget(GraphEmitter e, string target, StaticValue prediction, string dataSource)
    {
        var t = e.RequireType(target);
        if (t.ElementCount != prediction.ElementCount)
            throw new DataMismatchException(dataSource, "target",
                $"has shape [{string.Join(",", t.Shape)}] ({t.ElementCount} elements) but the prediction has shape [{string.Join(",", prediction.Shape)}] ({prediction.ElementCount} elements).");
        var y = t.ElementType == OnnxType.Float ? target : e.Op("Cast", [target], Attr.Int("to", OnnxType.Float));
        return e.Reshape(y, prediction.Shape);
    }

    private static Protobuf.TensorProto FloatVector(params float[] values)
    {
        var t = new Protobuf.TensorProto { DataType = OnnxType.Float };
        t.Dims.Add(values.Length);
        t.FloatData.AddRange(values);
        return t;
    }
}
