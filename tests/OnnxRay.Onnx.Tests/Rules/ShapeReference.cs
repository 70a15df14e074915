namespace OnnxRay.Onnx.Tests.Rules;

/// <summary>Double-precision data-movement ops and reductions, written from the ONNX spec (not from the rules).</summary>
public static class ShapeReference
{
    public static TestTensor Transpose(TestTensor x, long[] perm)
    {
        var outShape = perm.Select(p => x.Shape[p]).ToArray();
        var y = TestTensor.Zeros(outShape);
        for (long f = 0; f < y.Count; f++)
        {
            var j = MultiIndex.Unflatten(f, outShape);
            var i = new long[perm.Length];
            for (int k = 0; k < perm.Length; k++) i[perm[k]] = j[k];
            y.Values[f] = x.Values[MultiIndex.Flatten(i, x.Shape)];
        }
        return y;
    }

    /// <summary>Slice per the ONNX spec: negative starts/ends add dim; clamp to [0, dim] (step &gt; 0) or [0, dim−1]/[−1, dim−1] (step &lt; 0).</summary>
    public static TestTensor Slice(TestTensor x, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        int r = x.Shape.Length;
        var start = new long[r];
        var step = Enumerable.Repeat(1L, r).ToArray();
        var outShape = (long[])x.Shape.Clone();
        for (int k = 0; k < axes.Length; k++)
        {
            int a = (int)(axes[k] < 0 ? axes[k] + r : axes[k]);
            long dim = x.Shape[a], s = starts[k], e = ends[k], st = steps[k];
            if (s < 0) s += dim;
            if (e < 0) e += dim;
            if (st > 0) { s = Math.Clamp(s, 0, dim); e = Math.Clamp(e, 0, dim); }
            else { s = Math.Clamp(s, 0, dim - 1); e = Math.Clamp(e, -1, dim - 1); }
            start[a] = s;
            step[a] = st;
            outShape[a] = Math.Max(0, st > 0 ? (e - s + st - 1) / st : (s - e + (-st) - 1) / -st);
        }
        var y = TestTensor.Zeros(outShape);
        for (long f = 0; f < y.Count; f++)
        {
            var j = MultiIndex.Unflatten(f, outShape);
            for (int a = 0; a < r; a++) j[a] = start[a] + j[a] * step[a];
            y.Values[f] = x.Values[MultiIndex.Flatten(j, x.Shape)];
        }
        return y;
    }

    /// <summary>Constant-mode Pad with pads [begin…, end…] over <paramref name="axes"/> (negative pads crop).</summary>
    public static TestTensor Pad(TestTensor x, long[] pads, long[] axes, double value)
    {
        int r = x.Shape.Length;
        var begin = new long[r];
        var outShape = (long[])x.Shape.Clone();
        for (int k = 0; k < axes.Length; k++)
        {
            int a = (int)(axes[k] < 0 ? axes[k] + r : axes[k]);
            begin[a] = pads[k];
            outShape[a] += pads[k] + pads[k + axes.Length];
        }
        var y = TestTensor.Zeros(outShape);
        for (long f = 0; f < y.Count; f++)
        {
            var j = MultiIndex.Unflatten(f, outShape);
            bool inside = true;
            for (int a = 0; a < r; a++) { j[a] -= begin[a]; inside &= j[a] >= 0 && j[a] < x.Shape[a]; }
            y.Values[f] = inside ? x.Values[MultiIndex.Flatten(j, x.Shape)] : value;
        }
        return y;
    }

    public static TestTensor Gather(TestTensor x, TestTensor indices, int axis)
    {
        int r = x.Shape.Length;
        if (axis < 0) axis += r;
        long[] outShape = [.. x.Shape[..axis], .. indices.Shape, .. x.Shape[(axis + 1)..]];
        long outer = MultiIndex.Count(x.Shape[..axis]), dim = x.Shape[axis], inner = MultiIndex.Count(x.Shape[(axis + 1)..]);
        var y = TestTensor.Zeros(outShape);
        long q = indices.Count;
        for (long o = 0; o < outer; o++)
            for (long k = 0; k < q; k++)
            {
                long idx = indices.Integers[k] < 0 ? indices.Integers[k] + dim : indices.Integers[k];
                for (long i = 0; i < inner; i++) y.Values[(o * q + k) * inner + i] = x.Values[(o * dim + idx) * inner + i];
            }
        return y;
    }

    public static TestTensor Concat(TestTensor[] xs, int axis)
    {
        var shape = (long[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(t => t.Shape[axis]);
        long outer = MultiIndex.Count(shape[..axis]), inner = MultiIndex.Count(shape[(axis + 1)..]);
        var values = new List<double>();
        for (long o = 0; o < outer; o++)
            foreach (var t in xs)
            {
                long block = t.Shape[axis] * inner;
                values.AddRange(t.Values.AsSpan((int)(o * block), (int)block).ToArray());
            }
        return new TestTensor(shape, values.ToArray());
    }

    /// <summary>Part <paramref name="part"/> of Split(x, sizes, axis).</summary>
    public static TestTensor SplitPart(TestTensor x, long[] sizes, int axis, int part)
    {
        long offset = sizes.Take(part).Sum();
        int r = x.Shape.Length;
        return Slice(x, [offset], [offset + sizes[part]], [axis], [1]);
    }

    /// <summary>ReduceSum/ReduceMean over <paramref name="axes"/> (all when empty), keeping or dropping the reduced axes.</summary>
    public static TestTensor Reduce(TestTensor x, long[] axes, bool keepDims, bool mean)
    {
        int r = x.Shape.Length;
        var reduced = axes.Length == 0 ? Enumerable.Range(0, r).ToHashSet() : axes.Select(a => (int)(a < 0 ? a + r : a)).ToHashSet();
        var keptShape = x.Shape.Select((d, i) => reduced.Contains(i) ? 1L : d).ToArray();
        var y = TestTensor.Zeros(keptShape);
        for (long f = 0; f < x.Count; f++)
        {
            var i = MultiIndex.Unflatten(f, x.Shape);
            foreach (var a in reduced) i[a] = 0;
            y.Values[MultiIndex.Flatten(i, keptShape)] += x.Values[f];
        }
        long count = x.Count / Math.Max(1, y.Count);
        if (mean) for (int k = 0; k < y.Count; k++) y.Values[k] /= count;
        var shape = keepDims ? keptShape : x.Shape.Where((_, i) => !reduced.Contains(i)).ToArray();
        return new TestTensor(shape, y.Values);
    }
}
