using OnnxRay.Abstractions;
using OnnxRay.Samplers.Hmc;
using OnnxRay.Samplers.Hmc.Integration;
using OnnxRay.Testing.Targets;

namespace OnnxRay.Samplers.Tests.Hmc;

public class LeapfrogIntegratorTests
{
    private static readonly double[] Variances = [0.5, 0.8, 1.0, 1.3, 2.0, 0.7, 1.6, 0.9];

    private static (float[] X, float[] P, float[] G, double LogP) RandomState(GaussianTarget target, ulong seed)
    {
        var random = new ChainRandom(seed);
        var x = target.RandomStart(random);
        var p = new float[target.Dimension];
        random.FillGaussian(p);
        var g = new float[target.Dimension];
        var logp = target.Evaluate(x, g);
        return (x, p, g, logp);
    }

    private static double Hamiltonian(double logp, ReadOnlySpan<float> p) => -logp + 0.5 * VectorMath.SumOfSquares(p);

    [Fact]
    public void ForwardThenReversedMomentumReturnsToTheStart()
    {
        var target = GaussianTarget.Diagonal(Variances);
        var metric = new DiagonalMetric(target.Dimension);
        var leapfrog = new LeapfrogIntegrator(target.Dimension);
        var (x, p, g, _) = RandomState(target, 3);
        var x0 = (float[])x.Clone();
        var p0 = (float[])p.Clone();

        leapfrog.Integrate(target, metric, x, p, g, 0.2, 25, false, 0, null);
        Assert.True(x.Zip(x0).Max(t => Math.Abs(t.First - t.Second)) > 0.1, "the trajectory should move");
        for (var i = 0; i < p.Length; i++) p[i] = -p[i];
        leapfrog.Integrate(target, metric, x, p, g, 0.2, 25, false, 0, null);

        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(x0[i], x[i], 1e-4);
            Assert.Equal(-p0[i], p[i], 1e-4);
        }
    }

    [Fact]
    public void EnergyErrorShrinksAsStepSizeSquared()
    {
        // Leapfrog is second order: at a fixed integration time, |ΔH| ∝ ε². Halving ε must cut it about 4×.
        var target = GaussianTarget.Diagonal(Variances);
        var metric = new DiagonalMetric(target.Dimension);
        var leapfrog = new LeapfrogIntegrator(target.Dimension);
        double MeanAbsEnergyError(double eps)
        {
            var steps = (int)Math.Round(1.2 / eps);
            double sum = 0;
            for (ulong seed = 1; seed <= 20; seed++)
            {
                var (x, p, g, logp) = RandomState(target, seed);
                var h0 = Hamiltonian(logp, p);
                var result = leapfrog.Integrate(target, metric, x, p, g, eps, steps, true, h0, null);
                sum += Math.Abs(Hamiltonian(result.LogDensity, p) - h0);
            }
            return sum / 20;
        }
        var e1 = MeanAbsEnergyError(0.2);
        var e2 = MeanAbsEnergyError(0.1);
        var e3 = MeanAbsEnergyError(0.05);
        Assert.InRange(e1 / e2, 3.3, 4.7);
        Assert.InRange(e2 / e3, 3.3, 4.7);
    }

    [Fact]
    public void OneGradientPerStep()
    {
        var target = GaussianTarget.StandardNormal(5);
        var leapfrog = new LeapfrogIntegrator(5);
        var (x, p, g, _) = RandomState(target, 9);
        var before = target.GradientCalls;
        var result = leapfrog.Integrate(target, new DiagonalMetric(5), x, p, g, 0.1, 17, true, 0, null);
        Assert.Equal(17, result.Steps);
        Assert.Equal(17, target.GradientCalls - before);
    }

    [Fact]
    public void StopsEarlyOnceThePotentialAloneShowsADivergence()
    {
        // A huge step on a narrow Gaussian blows up geometrically; the integrator must stop before spending all steps.
        var target = GaussianTarget.Diagonal([0.01, 0.01]);
        var leapfrog = new LeapfrogIntegrator(2);
        var (x, p, g, logp) = RandomState(target, 4);
        var h0 = Hamiltonian(logp, p);
        var result = leapfrog.Integrate(target, new DiagonalMetric(2), x, p, g, 1.0, 100, true, h0, new DivergenceDetector(1000));
        Assert.True(result.Diverged);
        Assert.True(result.Steps < 100, $"stopped after {result.Steps} steps");
    }

    [Fact]
    public void IntegratingFromAStartIntoOtherBuffersEqualsInPlaceAndLeavesTheStartUntouched()
    {
        // D = 37: SIMD blocks and a scalar tail; a non-unit metric so M⁻¹ enters the fused pass.
        var variances = Enumerable.Range(0, 37).Select(i => 0.5 + 0.05 * i).ToArray();
        var target = GaussianTarget.Diagonal(variances);
        var metric = new DiagonalMetric(target.Dimension);
        metric.SetInverseMass(variances);
        var leapfrog = new LeapfrogIntegrator(target.Dimension);
        var (x, p, g, _) = RandomState(target, 12);
        var (x0, p0, g0) = (x.ToArray(), p.ToArray(), g.ToArray());
        var (xo, po, go) = (new float[37], new float[37], new float[37]);

        var outOfPlace = leapfrog.Integrate(target, metric, x, p, g, xo, po, go, 0.15, 9, true, 0, null);
        Assert.Equal(x0, x);
        Assert.Equal(p0, p);
        Assert.Equal(g0, g);
        var inPlace = leapfrog.Integrate(target, metric, x, p, g, 0.15, 9, true, 0, null);
        Assert.Equal(inPlace, outOfPlace);
        Assert.Equal(x, xo);
        Assert.Equal(p, po);
        Assert.Equal(g, go);
    }

    [Fact]
    public void OnePassKineticEnergyEqualsTheTwoPassOneBitForBit()
    {
        var variances = Enumerable.Range(0, 37).Select(i => 0.3 + 0.1 * i).ToArray();
        var metric = new DiagonalMetric(37);
        metric.SetInverseMass(variances);
        var p = new float[37];
        new ChainRandom(8).FillGaussian(p);
        Assert.Equal(metric.KineticEnergy(p, new float[37]), metric.KineticEnergy(p));
    }
}
