using Microsoft.ML.OnnxRuntime;
using OnnxRay.Onnx.Autodiff;
using OnnxRay.Onnx.Data;
using OnnxRay.Onnx.Errors;
using OnnxRay.Onnx.IO;
using OnnxRay.Onnx.Parameters;
using OnnxRay.Onnx.Protobuf;

namespace OnnxRay.Onnx.Density;

/// <summary>
/// Builds the single ONNX model that computes log p(θ | batch) and ∇θ log p: θ rewrite, forward graph, likelihood
/// head (scaled), reverse pass, one gradient output per parameter tensor (<see cref="GradientSlices"/>); the prior is
/// left to the host (<see cref="HostPrior"/>). The
/// graph is specialised to the shapes of <c>batch</c>, whose arrays also feed the one probe run that records every
/// intermediate shape.
/// </summary>
public static class DensityGraphBuilder
{
    /// <param name="model">The (normalised) model.</param>
    /// <param name="layout">θ layout from <see cref="ParameterLayout.FromModel"/>; log_sigma is appended here when the head learns the noise.</param>
    /// <param name="batch">One array per model data input (by input name) plus <c>target</c>, already in the model's element types.</param>
    /// <param name="likelihoodScale">Default multiplier of the log-likelihood (N/B for minibatches).</param>
    /// <param name="withGradient">False builds the cheaper value-only graph.</param>
    /// <param name="cpuKernels">The graph runs on ORT's CPU provider: rules may use its NCHWc kernels (<see cref="NchwcKernels"/>).</param>
    /// <param name="ignoredTargets">
    /// False when no target of the whole data set (not only <c>batch</c>) equals the categorical ignore index, so the head
    /// needs no mask (<see cref="DensityData.ContainsTarget"/>).
    /// </param>
    /// <param name="hoistLimitBytes">
    /// Largest tensor computed from the data alone that runners compute once per batch (<see cref="DensityGraph.DataOnly"/>);
    /// 0 turns hoisting off (one model, every node in every run).
    /// </param>
    public static DensityGraph Build(OnnxModel model, ParameterLayout layout, DensityOptions options, IReadOnlyDictionary<string, NpyArray> batch,
        double likelihoodScale, bool withGradient = true, GradientRuleRegistry? registry = null, bool cpuKernels = true, bool ignoredTargets = true,
        long hoistLimitBytes = DataOnlyPart.DefaultLimitBytes)
    {
        registry ??= GradientRuleRegistry.Default;
        var path = model.SourcePath;
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var opset = OnnxModel.DefaultOpset(proto);
        var initializerNames = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var prediction = ChoosePrediction(graph, options);
        var spec = options.Likelihood;

        // Specialise the data inputs to the batch shapes.
        var dataInputs = new List<DataInput>();
        for (var i = graph.Input.Count - 1; i >= 0; i--)
            if (initializerNames.Contains(graph.Input[i].Name)) graph.Input.RemoveAt(i);
        foreach (var input in graph.Input)
        {
            if (!batch.TryGetValue(input.Name, out var array))
                throw new DataMismatchException(path, input.Name, $"missing: the model has an input '{input.Name}' but the data has no array of that name.");
            var type = OrtTensors.OnnxTypeOf(array.Dtype);
            dataInputs.Add(new DataInput(input.Name, type, array.Shape));
            input.Type = ThetaRewriter.TensorInput(input.Name, type, array.Shape).Type;
        }
        const string reserved = DensityGraph.LogDensityOutput;
        if (graph.Input.Any(i => i.Name == reserved) || graph.Node.Any(n => n.Output.Contains(reserved)) || initializerNames.Contains(reserved))
            throw new OnnxFormatException(path, $"the model already uses the name '{reserved}', which OnnxRay reserves for the density graph.");

        // Fail fast, before any ORT work, on every node that cannot be differentiated.
        var forwardNodes = graph.Node.Select(n => new NodeView(n, opset)).ToArray();
        var initTypes = graph.Initializer.ToDictionary(i => i.Name, i => i.DataType, StringComparer.Ordinal);
        var modelParams = layout.Tensors.Where(t => t.IsInitializer).Select(t => t.Name).ToArray();
        if (withGradient)
        {
            var structural = ActivityAnalysis.Compute(forwardNodes, modelParams, [prediction], registry, v => initTypes.TryGetValue(v, out var t) ? t : null);
            SupportCheck.ThrowIfUnsupported(path, forwardNodes, structural, registry);
        }

        // Probe run: every intermediate shape and element type, and the prediction's values (for log_sigma's start).
        var probeModel = proto.Clone();
        var kept = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        var types = Probe(probeModel, batch, path, model.BaseDirectory, new HashSet<string> { prediction }, kept);

        if (spec.Kind == LikelihoodKind.GaussianLearned && !layout.Contains(LikelihoodSpec.LogSigmaParameter))
            layout = layout.WithExtraParameter(LikelihoodSpec.LogSigmaParameter, [], [InitialLogSigma(kept[prediction], batch)]);

        var names = new UniqueNames(AllNames(graph));
        foreach (var n in new[] { DensityGraph.TargetInput, DensityGraph.LogDensityOutput })
            names.TryClaim(n);
        // Relu's backward mask then runs on the pooled tensor (same values and gradient, fewer elements).
        if (withGradient && ReluMaxPoolSwap.Apply(graph, names, types) > 0)
            forwardNodes = graph.Node.Select(n => new NodeView(n, opset)).ToArray();
        var emitter = new GraphEmitter(graph, names, types);
        var thetaViews = ThetaRewriter.Rewrite(emitter, layout);

        string? target = null;
        if (spec.NeedsTarget)
        {
            if (graph.Input.Any(i => i.Name == DensityGraph.TargetInput))
                throw new OnnxFormatException(path, $"the model has an input named '{DensityGraph.TargetInput}', which OnnxRay reserves for the likelihood target; use output:NAME or loss:NAME heads for such models.");
            if (!batch.TryGetValue(DensityGraph.TargetInput, out var t))
                throw new DataMismatchException(path, DensityGraph.TargetInput, $"missing: likelihood {spec} needs a '{DensityGraph.TargetInput}' array.");
            target = DensityGraph.TargetInput;
            var type = OrtTensors.OnnxTypeOf(t.Dtype);
            var shape = TargetShape(spec, t.Shape, types.Find(prediction)?.Shape);
            graph.Input.Add(ThetaRewriter.TensorInput(target, type, shape));
            types.Set(target, shape, type);
            dataInputs.Add(new DataInput(target, type, shape));
        }
        var coefficients = new CoefficientInputs(emitter, likelihoodScale);
        var head = LikelihoodHead.Emit(emitter, spec, prediction, target, coefficients,
            layout.Contains(LikelihoodSpec.LogSigmaParameter) ? LikelihoodSpec.LogSigmaParameter : null, path, ignoredTargets);
        // The head has checked the logits' rank.
        long? classCount = spec.Kind == LikelihoodKind.Categorical ? emitter.RequireType(prediction).Shape[^1] : null;
        if (classCount is { } k) DensityData.ThrowIfClassOutOfRange(path, batch[DensityGraph.TargetInput], k, spec.IgnoreIndex);
        var prior = HostPrior.For(layout, options.Prior);
        // log p = Σ term·s·k + (s·head constant + w·prior constant) (+ the prior's θ term, on the host). One term (every
        // head but the learned-noise gaussian): the graph outputs it as is and the host applies s·k and the offset, two
        // nodes fewer per run. Otherwise one Mul per term and one Sum, with host-computed coefficient inputs.
        var logDensityAffine = LogDensityAffine.Identity;
        string logDensity;
        // (Only when nothing else reads the term: renaming a value the reverse pass still refers to would break it.)
        if (head.Terms is [var only] && only.Value != prediction && !graph.Node.Any(n => n.Input.Contains(only.Value)))
        {
            logDensity = only.Value;
            logDensityAffine = new LogDensityAffine(only.PerScale, head.ConstantPerScale, prior.ConstantPerWeight);
        }
        else
        {
            var terms = head.Terms.Select(t => emitter.Op("Mul", [t.Value, coefficients.Scalar("likelihood_coefficient", t.PerScale, 0)])).ToList();
            terms.Add(coefficients.Scalar("log_density_offset", head.ConstantPerScale, prior.ConstantPerWeight));
            logDensity = emitter.Op("Sum", terms);
        }
        Rename(graph, logDensity, DensityGraph.LogDensityOutput);

        graph.Output.Clear();
        graph.Output.Add(ThetaRewriter.TensorInput(DensityGraph.LogDensityOutput, OnnxType.Float, []));
        var gradientSlices = GradientSlices.None;
        if (withGradient)
        {
            var activity = ActivityAnalysis.Compute(forwardNodes, modelParams, [prediction], registry, v => types.Find(v)?.ElementType);
            var dataOnly = hoistLimitBytes > 0 ? DataOnlyAnalysis.Compute(graph, dataInputs.Select(d => d.Name)) : null;
            var engine = new ReverseModeEngine(emitter, forwardNodes, activity, registry,
                () => Reprobe(probeModel, forwardNodes, batch, path, model.BaseDirectory, types))
            {
                NchwcBlockSize = cpuKernels ? NchwcKernels.BlockSize : null,
                HoistLimitBytes = dataOnly is null ? null : hoistLimitBytes,
                IsDataOnly = dataOnly is null ? null : dataOnly.IsFromData,
            };
            foreach (var (value, gradient) in head.Seeds) engine.AddContribution(value, gradient);
            engine.Run();
            gradientSlices = EmitGradientSlices(graph, emitter, names, engine, layout);
        }
        // Convs whose filter is not a constant (θ views, flipped filters) on the blocked CPU kernels, where they pay.
        if (cpuKernels && NchwcKernels.BlockSize is { } block) NchwcConvLowering.Apply(emitter, block);
        graph.ValueInfo.Clear();
        if (graph.Node.Any(n => n.Domain == NchwcKernels.Domain) && proto.OpsetImport.All(o => o.Domain != NchwcKernels.Domain))
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = NchwcKernels.Domain, Version = 1 });
        proto.IrVersion = Math.Max(proto.IrVersion, 8);
        var hoisted = DataOnlyPart.Plan(proto, dataInputs, types.Find, hoistLimitBytes,
            m => ProbeDeclared(m, dataInputs, batch, path, model.BaseDirectory));
        return new DensityGraph(proto, layout, dataInputs, dataInputs.Count == 0 ? 0 : dataInputs[0].Shape.FirstOrDefault(), withGradient, likelihoodScale)
        {
            Coefficients = coefficients.All,
            ClassCount = classCount,
            ExternalDataFolder = model.BaseDirectory,
            ThetaViews = thetaViews,
            Gradient = gradientSlices,
            Prior = prior,
            DataOnly = hoisted,
            LogDensityAffine = logDensityAffine,
        };
    }

    /// <summary>
    /// Makes each parameter tensor's gradient a float graph output in the tensor's shape (renaming the value where a
    /// node produces it, so no Identity runs); tensors with no gradient get no output: no Reshape or Concat nodes.
    /// </summary>
    private static GradientSlices EmitGradientSlices(GraphProto graph, GraphEmitter emitter, UniqueNames names, ReverseModeEngine engine,
        ParameterLayout layout)
    {
        var slices = new List<GradientSlice>();
        var unwritten = new List<(int, int)>();
        var outputOf = new Dictionary<string, string>(StringComparer.Ordinal); // renamed value -> its output name
        foreach (var t in layout.Tensors)
        {
            var g = t.Length == 0 ? null : engine.GradientOf(t.Name);
            if (g is null)
            {
                unwritten.Add((t.Offset, t.Length));
                continue;
            }
            if (t.ElementType != OnnxType.Float) g = emitter.Op("Cast", [g], Attr.Int("to", OnnxType.Float));
            g = emitter.Reshape(g, t.Shape);
            var output = names.Next(DensityGraph.GradientOutputHint);
            // A gradient shared with an earlier tensor is already renamed to that tensor's output; Rename itself adds an
            // Identity for a value no node produces (an input or initializer).
            if (outputOf.TryGetValue(g, out var renamed)) g = emitter.Op("Identity", [renamed]);
            Rename(graph, g, output);
            outputOf[g] = output;
            slices.Add(new GradientSlice(output, t.Offset, t.Shape));
            graph.Output.Add(ThetaRewriter.TensorInput(output, OnnxType.Float, t.Shape));
        }
        return new GradientSlices(slices, unwritten);
    }

    private static string ChoosePrediction(GraphProto graph, DensityOptions options)
    {
        var spec = options.Likelihood;
        var wanted = spec.Kind is LikelihoodKind.Output or LikelihoodKind.Loss ? spec.OutputName : options.OutputName;
        if (graph.Output.Count == 0) throw new DensityOptionException(DensityOptions.OutputOptionName, "the model has no outputs.");
        if (wanted is null) return graph.Output[0].Name;
        if (graph.Output.Any(o => o.Name == wanted)) return wanted;
        var option = spec.Kind is LikelihoodKind.Output or LikelihoodKind.Loss ? LikelihoodSpec.OptionName : DensityOptions.OutputOptionName;
        throw new DensityOptionException(option, $"the model has no output '{wanted}'; its outputs are {string.Join(", ", graph.Output.Select(o => $"'{o.Name}'"))}.");
    }

    private static ValueInfoTable Probe(ModelProto probeModel, IReadOnlyDictionary<string, NpyArray> batch, string path, string? externalDataFolder,
        IReadOnlySet<string>? keep, Dictionary<string, NpyArray>? kept)
    {
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var input in probeModel.Graph.Input)
                if (batch.TryGetValue(input.Name, out var a)) values[input.Name] = OrtTensors.Wrap(a);
            return ShapeProbe.Run(probeModel, values, path, keep, kept, externalDataFolder);
        }
        finally
        {
            foreach (var v in values.Values) v.Dispose();
        }
    }

    /// <summary>Shape probe of a model whose inputs are data inputs, fed in their declared shapes (the target's may differ from the data's).</summary>
    private static ValueInfoTable ProbeDeclared(ModelProto probeModel, IReadOnlyList<DataInput> dataInputs, IReadOnlyDictionary<string, NpyArray> batch,
        string path, string? externalDataFolder)
    {
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var d in dataInputs) values[d.Name] = OrtTensors.Wrap(batch[d.Name].Data, d.Shape);
            return ShapeProbe.Run(probeModel, values, path, null, null, externalDataFolder);
        }
        finally
        {
            foreach (var v in values.Values) v.Dispose();
        }
    }

    private static void Reprobe(ModelProto probeModel, IReadOnlyList<NodeView> forwardNodes, IReadOnlyDictionary<string, NpyArray> batch, string path,
        string? externalDataFolder, ValueInfoTable types)
    {
        var updated = probeModel.Clone();
        updated.Graph.Node.Clear();
        updated.Graph.Node.AddRange(forwardNodes.Select(n => n.Proto.Clone()));
        var fresh = Probe(updated, batch, path, externalDataFolder, null, null);
        foreach (var name in fresh.Names)
            if (!types.Contains(name)) types.Set(name, fresh.Find(name)!.Value.Shape, fresh.Find(name)!.Value.ElementType);
    }

    /// <summary>
    /// The shape the target is declared (and fed) in: the prediction's own shape for elementwise heads when the rows
    /// match (e.g. [B] targets for a [B,1] output, same memory), so the head needs no Reshape node; else the data's.
    /// </summary>
    private static long[] TargetShape(LikelihoodSpec spec, long[] data, long[]? prediction)
    {
        if (spec.Kind == LikelihoodKind.Categorical || prediction is not [var rows, ..] || data is not [var dataRows, ..] || rows != dataRows) return data;
        return prediction.Aggregate(1L, (a, d) => a * d) == data.Aggregate(1L, (a, d) => a * d) ? prediction : data;
    }

    private static float InitialLogSigma(NpyArray prediction, IReadOnlyDictionary<string, NpyArray> batch)
    {
        var mu = prediction.ToDoubles();
        var y = batch[DensityGraph.TargetInput].ToDoubles();
        if (mu.Length != y.Length || mu.Length < 2) return 0f;
        var residuals = mu.Zip(y, (m, t) => t - m).ToArray();
        var mean = residuals.Average();
        var std = Math.Sqrt(residuals.Sum(r => (r - mean) * (r - mean)) / residuals.Length);
        return std > 0 && double.IsFinite(std) ? (float)Math.Log(std) : 0f;
    }

    /// <summary>Renames the output of the node that produces <paramref name="from"/>.</summary>
    private static void Rename(GraphProto graph, string from, string to)
    {
        var node = graph.Node.LastOrDefault(n => n.Output.Contains(from));
        if (node is null)
        {
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = UniqueNames.ReservedPrefix + to, Input = { from }, Output = { to } });
            return;
        }
        node.Output[node.Output.IndexOf(from)] = to;
        foreach (var n in graph.Node)
            for (var i = 0; i < n.Input.Count; i++)
                if (n.Input[i] == from) n.Input[i] = to;
    }

    private static IEnumerable<string> AllNames(GraphProto graph) =>
        graph.Node.SelectMany(n => n.Output.Concat(n.Input).Append(n.Name))
            .Concat(graph.Initializer.Select(i => i.Name))
            .Concat(graph.Input.Select(i => i.Name))
            .Concat(graph.Output.Select(o => o.Name))
            .Where(n => n.Length > 0);
}
