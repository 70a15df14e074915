using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Load-time normalisation (onnx-gradients.md §2): one canonical form for every model, so the parameter layout
/// and the autodiff see a single opset. Rejects non-default domains, control flow and RNNs (listing every
/// offending node); inlines model-local functions; turns Constant nodes into initializers; drops initializers
/// from the graph inputs; rewrites every node to opset 18; sets IR version 8. Identity nodes are kept.
/// </summary>
public static class ModelNormalizer
{
    /// <summary>The default-domain opset every normalised model imports.</summary>
    public const long TargetOpset = OpsetUpgrader.TargetOpset;

    /// <summary>The IR version of every normalised model.</summary>
    public const long TargetIrVersion = 8;

    /// <summary>Metadata key ("true") on initializers that came from Constant nodes; they are never trainable.</summary>
    public const string FromConstantKey = ConstantsToInitializers.FromConstantKey;

    /// <summary>Returns a normalised copy of <paramref name="model"/> (same origin, so external data still resolves); the input is not changed.</summary>
    public static OnnxModel Normalize(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = model.Proto.Clone();
        var path = model.SourcePath;
        var sourceOpset = OnnxModel.DefaultOpset(proto);
        if (sourceOpset > TargetOpset)
            throw new UnsupportedOperatorException(path,
                proto.Graph.Node.Select(n => new UnsupportedNode(n.OpType, n.Domain, n.Name, sourceOpset,
                    $"the model uses opset {sourceOpset}, newer than OnnxRay's canonical opset {TargetOpset}; re-export with opset_version={TargetOpset}")).ToList(),
                GradientRuleRegistry.Default.SupportedOps);
        if (proto.Graph.SparseInitializer.Count > 0)
            throw new OnnxFormatException(path, $"sparse initializer '{proto.Graph.SparseInitializer[0].Values?.Name}' is not supported; export dense weights");

        var localFunctions = proto.Functions.Select(f => (f.Domain, f.Name)).ToHashSet();
        UnsupportedOpCheck.ThrowIfAny(proto, path, localFunctions);

        var context = new NormalizationContext(proto.Graph, path, sourceOpset);
        if (proto.Functions.Count > 0)
        {
            FunctionInliner.Apply(proto, context);
            UnsupportedOpCheck.ThrowIfAny(proto, path, new HashSet<(string, string)>()); // function bodies may hold offenders too
        }
        ConstantsToInitializers.Apply(proto.Graph, path);
        InitializerInputs.Drop(proto.Graph);
        context.Ranks = RankTable.Build(proto.Graph);
        OpsetUpgrader.Apply(context);

        proto.OpsetImport.Clear();
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = TargetOpset });
        proto.IrVersion = TargetIrVersion;
        return model.WithProto(proto);
    }
}
