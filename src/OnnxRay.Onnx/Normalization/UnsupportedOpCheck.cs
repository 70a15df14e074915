using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Finds every node OnnxRay cannot load: non-default domains (fused com.microsoft ops, the training-domain
/// Gradient op, custom ops), control flow, recurrent layers and ops without a v1 gradient (Resize).
/// All offenders are reported together, so the user fixes the export once.
/// </summary>
internal static class UnsupportedOpCheck
{
    private static readonly Dictionary<string, string> RejectedDefaultOps = new(StringComparer.Ordinal)
    {
        ["If"] = "control flow (If) is not supported; export with the branch resolved (tracing) instead of scripting",
        ["Loop"] = "control flow (Loop) is not supported; export with the loop unrolled (tracing)",
        ["Scan"] = "control flow (Scan) is not supported; export with the scan unrolled",
        ["SequenceMap"] = "control flow (SequenceMap) is not supported",
        ["LSTM"] = "recurrent layers (LSTM) are not supported yet; express the cell with MatMul/Sigmoid/Tanh or unroll it",
        ["GRU"] = "recurrent layers (GRU) are not supported yet; express the cell with MatMul/Sigmoid/Tanh or unroll it",
        ["RNN"] = "recurrent layers (RNN) are not supported yet; express the cell with MatMul/Tanh or unroll it",
        ["Resize"] = "Resize has no gradient rule in v1",
        ["Upsample"] = "Upsample (an old form of Resize) has no gradient rule in v1",
    };

    /// <summary>Throws UnsupportedOperatorException listing every offending node; <paramref name="localFunctions"/> are (domain, name) pairs that will be inlined.</summary>
    public static void ThrowIfAny(ModelProto model, string modelPath, IReadOnlySet<(string Domain, string Name)> localFunctions)
    {
        var offenders = new List<UnsupportedNode>();
        var opsets = model.OpsetImport.GroupBy(o => o.Domain).ToDictionary(g => g.Key, g => g.First().Version);
        foreach (var node in model.Graph.Node) Check(node, opsets, localFunctions, offenders);
        if (offenders.Count > 0)
            throw new UnsupportedOperatorException(modelPath, offenders, GradientRuleRegistry.Default.SupportedOps);
    }

    private static void Check(NodeProto node, Dictionary<string, long> opsets, IReadOnlySet<(string, string)> localFunctions, List<UnsupportedNode> offenders)
    {
        var opset = opsets.GetValueOrDefault(node.Domain, OnnxModel.IsDefaultDomain(node.Domain) ? opsets.GetValueOrDefault("", opsets.GetValueOrDefault("ai.onnx")) : 0);
        if (localFunctions.Contains((node.Domain, node.OpType))) return;
        if (!OnnxModel.IsDefaultDomain(node.Domain))
        {
            var reason = node.Domain switch
            {
                "ai.onnx.preview.training" => "the training-domain op cannot run on ONNX Runtime inference builds; export the forward model only",
                "com.microsoft" => "fused ONNX Runtime contrib op (from an optimizer such as optimum or the ORT transformer optimizer); export a plain, unoptimised model with standard ai.onnx ops",
                "ai.onnx.ml" => "classical-ML (ai.onnx.ml) ops have no gradient; export the network part only",
                _ => $"custom domain '{node.Domain}'; export a plain model using only standard ai.onnx ops",
            };
            offenders.Add(new UnsupportedNode(node.OpType, node.Domain, node.Name, opset, reason));
            return;
        }
        if (RejectedDefaultOps.TryGetValue(node.OpType, out var why))
            offenders.Add(new UnsupportedNode(node.OpType, node.Domain, node.Name, opset, why));
    }
}
