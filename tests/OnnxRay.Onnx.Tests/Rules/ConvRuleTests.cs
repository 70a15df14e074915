using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Conv VJP against the direct-sum reference: 1/2/3-D, strides, dilations, (a)symmetric pads, auto_pad, groups.</summary>
public class ConvRuleTests
{
    public static TheoryData<string, long[], long[], long, long[], long[], long[], string, bool> Cases => new()
    {
        // name, X shape, W shape, group, strides, dilations, pads, auto_pad, bias
        { "1d plain", [2, 3, 9], [4, 3, 3], 1, [1], [1], [0, 0], "NOTSET", true },
        { "1d stride2 pad1 dil2", [2, 2, 11], [3, 2, 3], 1, [2], [2], [1, 1], "NOTSET", true },
        { "1d groups2 asym pads", [1, 4, 10], [6, 2, 3], 2, [3], [1], [2, 0], "NOTSET", false },
        { "2d plain", [2, 3, 6, 5], [4, 3, 3, 3], 1, [1, 1], [1, 1], [0, 0, 0, 0], "NOTSET", true },
        { "2d stride2 remainder", [1, 2, 7, 8], [3, 2, 3, 2], 1, [2, 3], [1, 1], [1, 0, 1, 1], "NOTSET", true },
        { "2d asym pads dilated", [2, 2, 8, 7], [2, 2, 2, 3], 1, [1, 2], [2, 1], [0, 2, 1, 0], "NOTSET", true },
        { "2d groups2", [2, 4, 6, 6], [6, 2, 3, 3], 2, [1, 1], [1, 1], [1, 1, 1, 1], "NOTSET", true },
        { "2d depthwise strided", [1, 3, 7, 7], [3, 1, 3, 3], 3, [2, 2], [1, 1], [1, 1, 1, 1], "NOTSET", true },
        { "2d depthwise multiplier", [1, 2, 6, 5], [6, 1, 2, 2], 2, [1, 1], [2, 1], [0, 0, 0, 0], "NOTSET", false },
        { "2d SAME_UPPER stride2", [1, 2, 7, 6], [3, 2, 3, 4], 1, [2, 2], [1, 1], [], "SAME_UPPER", true },
        { "2d SAME_LOWER", [1, 2, 6, 7], [2, 2, 2, 3], 1, [1, 2], [1, 1], [], "SAME_LOWER", true },
        { "2d VALID", [1, 2, 6, 7], [2, 2, 3, 3], 1, [2, 1], [1, 1], [], "VALID", true },
        { "3d stride pad", [1, 2, 5, 4, 5], [3, 2, 2, 3, 2], 1, [2, 1, 2], [1, 1, 1], [1, 0, 1, 0, 1, 1], "NOTSET", true },
        { "3d groups dilated", [1, 4, 5, 5, 4], [4, 2, 2, 2, 2], 2, [1, 1, 1], [2, 1, 1], [0, 1, 0, 0, 0, 1], "NOTSET", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv_gradients_match_reference(string name, long[] xShape, long[] wShape, long group, long[] strides, long[] dilations, long[] pads, string autoPad, bool bias)
    {
        _ = name;
        var rng = new Random(7);
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("w", TestTensor.Random(rng, wShape));
        if (bias) g.Input("b", TestTensor.Random(rng, [wShape[0]]));
        var attrs = new List<Protobuf.AttributeProto> { Attr.Int("group", group), Attr.Ints("strides", strides), Attr.Ints("dilations", dilations) };
        if (autoPad == "NOTSET") attrs.Add(Attr.Ints("pads", pads)); else attrs.Add(Attr.String("auto_pad", autoPad));
        string y = g.Node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], [.. attrs]);

        var resolvedPads = ResolvePads(xShape[2..], wShape[2..], strides, dilations, pads, autoPad);
        string[] inputs = bias ? ["x", "w", "b"] : ["x", "w"];
        RuleCheck.Verify(g, y, inputs, inputs, a => ConvReference.Conv(a[0], a[1], bias ? a[2] : null, strides, dilations,
            resolvedPads[..strides.Length], resolvedPads[strides.Length..], group));
    }

    /// <summary>Explicit pads for auto_pad, from the ONNX spec formula (the forward comparison checks them against ORT).</summary>
    internal static long[] ResolvePads(long[] inSp, long[] kernel, long[] strides, long[] dilations, long[] pads, string autoPad)
    {
        int n = inSp.Length;
        if (autoPad == "NOTSET") return pads;
        var result = new long[2 * n];
        if (autoPad == "VALID") return result;
        for (int i = 0; i < n; i++)
        {
            long outSize = (inSp[i] + strides[i] - 1) / strides[i];
            long total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSp[i]);
            long small = total / 2, big = total - small;
            (result[i], result[n + i]) = autoPad == "SAME_UPPER" ? (small, big) : (big, small);
        }
        return result;
    }
}
