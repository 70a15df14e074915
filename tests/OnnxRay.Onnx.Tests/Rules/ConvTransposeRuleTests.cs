using OnnxRay.Onnx.Autodiff;

namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>ConvTranspose VJP against the scatter reference: strides, dilations, pads, groups, output_padding, output_shape, auto_pad.</summary>
public class ConvTransposeRuleTests
{
    public static TheoryData<string, long[], long[], long, long[], long[], long[], long[], long[], string> Cases => new()
    {
        // name, X, W, group, strides, dilations, pads, output_padding, output_shape (spatial), auto_pad
        { "1d plain", [2, 3, 5], [3, 2, 3], 1, [1], [1], [0, 0], [], [], "NOTSET" },
        { "1d stride2 pads", [1, 2, 6], [2, 3, 4], 1, [2], [1], [1, 2], [], [], "NOTSET" },
        { "2d stride2 output_padding", [2, 2, 4, 3], [2, 3, 3, 3], 1, [2, 2], [1, 1], [1, 1, 1, 1], [1, 0], [], "NOTSET" },
        { "2d groups dilated asym", [1, 4, 4, 4], [4, 1, 2, 3], 2, [1, 2], [2, 1], [0, 1, 1, 0], [], [], "NOTSET" },
        { "2d depthwise", [1, 3, 4, 5], [3, 1, 3, 3], 3, [2, 1], [1, 1], [1, 1, 1, 1], [], [], "NOTSET" },
        { "2d output_shape even", [1, 2, 3, 3], [2, 2, 3, 3], 1, [2, 2], [1, 1], [], [], [5, 5], "NOTSET" },
        { "2d output_shape odd", [1, 2, 3, 3], [2, 2, 3, 3], 1, [2, 2], [1, 1], [], [], [6, 4], "NOTSET" },
        { "2d SAME_UPPER", [1, 2, 3, 4], [2, 2, 3, 2], 1, [2, 2], [1, 1], [], [], [], "SAME_UPPER" },
        { "2d SAME_LOWER", [1, 2, 3, 4], [2, 2, 3, 2], 1, [2, 2], [1, 1], [], [], [], "SAME_LOWER" },
        { "3d stride", [1, 2, 3, 2, 3], [2, 2, 2, 2, 3], 1, [2, 1, 2], [1, 1, 1], [0, 1, 1, 1, 0, 0], [1, 0, 0], [], "NOTSET" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvTranspose_gradients_match_reference(string name, long[] xShape, long[] wShape, long group, long[] strides,
        long[] dilations, long[] pads, long[] outputPadding, long[] outputShape, string autoPad)
    {
        _ = name;
        int n = strides.Length;
        var rng = new Random(11);
        var g = new TestGraph();
        g.Input("x", TestTensor.Random(rng, xShape));
        g.Input("w", TestTensor.Random(rng, wShape));
        g.Input("b", TestTensor.Random(rng, [wShape[1] * group]));
        var attrs = new List<Protobuf.AttributeProto> { Attr.Int("group", group), Attr.Ints("strides", strides), Attr.Ints("dilations", dilations) };
        if (pads.Length > 0) attrs.Add(Attr.Ints("pads", pads));
        if (outputPadding.Length > 0) attrs.Add(Attr.Ints("output_padding", outputPadding));
        if (outputShape.Length > 0) attrs.Add(Attr.Ints("output_shape", outputShape));
        if (autoPad != "NOTSET") attrs.Add(Attr.String("auto_pad", autoPad));
        string y = g.Node("ConvTranspose", ["x", "w", "b"], [.. attrs]);

        // Output size and head padding as the ONNX spec defines them (the forward comparison pins them to ORT).
        var op = outputPadding.Length > 0 ? outputPadding : new long[n];
        var outSp = new long[n];
        var padsBegin = new long[n];
        for (int i = 0; i < n; i++)
        {
            long natural = strides[i] * (xShape[2 + i] - 1) + op[i] + (wShape[2 + i] - 1) * dilations[i] + 1;
            if (outputShape.Length > 0 || autoPad != "NOTSET")
            {
                outSp[i] = outputShape.Length > 0 ? outputShape[i] : xShape[2 + i] * strides[i];
                long total = natural - outSp[i];
                padsBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
            }
            else
            {
                padsBegin[i] = pads.Length > 0 ? pads[i] : 0;
                outSp[i] = natural - padsBegin[i] - (pads.Length > 0 ? pads[n + i] : 0);
            }
        }
        RuleCheck.Verify(g, y, ["x", "w", "b"], ["x", "w", "b"],
            a => ConvReference.ConvTranspose(a[0], a[1], a[2], strides, dilations, padsBegin, outSp, group));
    }
}
