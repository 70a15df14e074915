namespace OnnxRay.Testing.Targets;

/// <summary>
/// Zero-mean Gaussian N(0, Σ) with Σ = R·diag(λ)·Rᵀ. R is the identity or a random rotation (fixed seed);
/// the known moments are E[x_i²] = Σ_ii and Var[x_i²] = 2Σ_ii².
/// </summary>
public sealed class GaussianTarget : AnalyticTarget
{
    private readonly double[,]? _precision; // dense Σ⁻¹ when rotated
    private readonly double[] _diagPrecision; // used when not rotated
    private readonly double[] _sigmaDiag;

    private GaussianTarget(double[] eigenvalues, double[,]? rotation) : base(eigenvalues.Length)
    {
        var d = eigenvalues.Length;
        _diagPrecision = eigenvalues.Select(l => 1.0 / l).ToArray();
        _sigmaDiag = new double[d];
        if (rotation is null)
        {
            Array.Copy(eigenvalues, _sigmaDiag, d);
            return;
        }
        _precision = new double[d, d];
        for (var i = 0; i < d; i++)
        for (var j = 0; j < d; j++)
        {
            double p = 0, s = 0;
            for (var k = 0; k < d; k++)
            {
                p += rotation[i, k] * rotation[j, k] / eigenvalues[k];
                if (i == j) s += rotation[i, k] * rotation[i, k] * eigenvalues[k];
            }
            _precision[i, j] = p;
            if (i == j) _sigmaDiag[i] = s;
        }
    }

    /// <summary>N(0, I_d).</summary>
    public static GaussianTarget StandardNormal(int dimension) => new(Enumerable.Repeat(1.0, dimension).ToArray(), null);

    /// <summary>Independent coordinates with the given variances.</summary>
    public static GaussianTarget Diagonal(double[] variances) => new(variances, null);

    /// <summary>
    /// The MCHMC ill-conditioned target: eigenvalues log-spaced from 1/√κ to √κ (condition number κ),
    /// optionally randomly rotated with a fixed seed.
    /// </summary>
    public static GaussianTarget IllConditioned(int dimension, double conditionNumber, bool rotate, int seed = 1)
    {
        var lo = Math.Log(1.0 / Math.Sqrt(conditionNumber));
        var hi = Math.Log(Math.Sqrt(conditionNumber));
        var eig = Enumerable.Range(0, dimension).Select(i => Math.Exp(lo + (hi - lo) * i / (dimension - 1))).ToArray();
        return new GaussianTarget(eig, rotate ? RandomRotation(dimension, seed) : null);
    }

    /// <summary>2-d Gaussian with unit variances and correlation <paramref name="rho"/>.</summary>
    public static GaussianTarget Correlated2D(double rho)
    {
        var s = Math.Sqrt(0.5);
        var rotation = new double[,] { { s, -s }, { s, s } };
        return new GaussianTarget([1 + rho, 1 - rho], rotation);
    }

    public double[] Variances => (double[])_sigmaDiag.Clone();
    public override double[] Mean => new double[Dimension];
    public override double[] SecondMoment => (double[])_sigmaDiag.Clone();
    public override double[] VarianceOfSquare => _sigmaDiag.Select(s => 2 * s * s).ToArray();

    protected override double LogDensityAndGradient(ReadOnlySpan<float> x, Span<float> gradient)
    {
        var d = Dimension;
        double logp = 0;
        if (_precision is null)
        {
            for (var i = 0; i < d; i++)
            {
                var g = -_diagPrecision[i] * x[i];
                gradient[i] = (float)g;
                logp += 0.5 * g * x[i];
            }
            return logp;
        }
        for (var i = 0; i < d; i++)
        {
            double g = 0;
            for (var j = 0; j < d; j++) g -= _precision[i, j] * x[j];
            gradient[i] = (float)g;
            logp += 0.5 * g * x[i];
        }
        return logp;
    }

    private static double[,] RandomRotation(int d, int seed)
    {
        // Gram–Schmidt on a Gaussian matrix gives a Haar-random orthogonal matrix.
        var random = new OnnxRay.Abstractions.ChainRandom((ulong)seed);
        var q = new double[d, d];
        for (var i = 0; i < d; i++)
        for (var j = 0; j < d; j++) q[i, j] = random.NextGaussian();
        for (var c = 0; c < d; c++)
        {
            for (var p = 0; p < c; p++)
            {
                double dot = 0;
                for (var r = 0; r < d; r++) dot += q[r, c] * q[r, p];
                for (var r = 0; r < d; r++) q[r, c] -= dot * q[r, p];
            }
            double norm = 0;
            for (var r = 0; r < d; r++) norm += q[r, c] * q[r, c];
            norm = Math.Sqrt(norm);
            for (var r = 0; r < d; r++) q[r, c] /= norm;
        }
        return q;
    }
}
