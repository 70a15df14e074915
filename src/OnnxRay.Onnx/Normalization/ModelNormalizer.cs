using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Normalization;

/// <summary>
/// Load-time normalisation (onnx-gradients.md §2): one canonical form for every model, so the parameter layout
/// and the autodiff see a single opset. Rejects non-default domains, control flow and RNNs (listing every
/// offending node); inlines model-local functions; turns Constant nodes into initializers; drops initializers
/// from the graph inputs; rewrites every node to opset 18; sets IR version 8. Identity nodes are kept, except
/// Identity aliases of a floating initializer, which are untied into initializers of their own unless
/// <see cref="NormalizationOptions.TieAliases"/> is set (see <see cref="AliasUntying"/>).
/// Models of opset 19–21 are accepted as they are: no op changed semantics between 18 and 21 except by adding
/// element types or new ops (Gelu at 20), so their nodes are kept and the normalised model imports the source
/// opset (IR 9 for 19–20, IR 10 for 21); everything emitted later (density graph, reverse pass) runs at that opset.
/// </summary>
public static class ModelNormalizer
{
    /// <summary>The default-domain opset every normalised model imports.</summary>
    public const long TargetOpset = OpsetUpgrader.TargetOpset;

    /// <summary>The IR version of every normalised model.</summary>
    public const long TargetIrVersion = 8;

    /// <summary>Metadata key ("true") on initializers that came from Constant nodes; they are never trainable.</summary>
    public const string FromConstantKey = ConstantsToInitializers.FromConstantKey;

    /// <summary>The newest default-domain opset accepted (kept as is, not lowered to <see cref="TargetOpset"/>).</summary>
    public const long MaxAcceptedOpset = 21;

    /// <summary>Returns a normalised copy of <paramref name="model"/> (same origin, so external data still resolves); the input is not changed.</summary>
    public static OnnxModel Normalize(OnnxModel model) => Normalize(model, null);

    /// <summary>As <see cref="Normalize(OnnxModel)"/> with options (alias tying).</summary>
    public static OnnxModel Normalize(OnnxModel model, NormalizationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= NormalizationOptions.Default;
        var proto = model.Proto.Clone();
        var path = model.SourcePath;
        var sourceOpset = OnnxModel.DefaultOpset(proto);
        if (sourceOpset > MaxAcceptedOpset)
            throw new UnsupportedOperatorException(path,
                proto.Graph.Node.Select(n => new UnsupportedNode(n.OpType, n.Domain, n.Name, sourceOpset,
                    $"the model uses opset {sourceOpset}, newer than the newest opset OnnxRay accepts ({MaxAcceptedOpset}); re-export with opset_version={TargetOpset}")).ToList(),
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
        if (!options.TieAliases) AliasUntying.Apply(proto.Graph);

        var opset = Math.Max(TargetOpset, sourceOpset);
        proto.OpsetImport.Clear();
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        proto.IrVersion = IrVersionFor(opset);
        return model.WithProto(proto);
    }

    /// <summary>The IR version written for a normalised model of <paramref name="opset"/> (8 for 18, 9 for 19–20, 10 for 21).</summary>
    public static long IrVersionFor(long opset) => opset switch { <= 18 => TargetIrVersion, <= 20 => 9, _ => 10 };
}
