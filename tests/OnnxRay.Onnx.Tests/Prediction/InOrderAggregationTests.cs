using OnnxRay.Onnx.Prediction;

namespace OnnxRay.Onnx.Tests.Prediction;

/// <summary>Draws finished in any order, on any threads, are aggregated once each and in draw order.</summary>
public class InOrderAggregationTests
{
    [Fact]
    public void SlotsFinishedOutOfOrderOnManyThreadsAreAggregatedInOrder()
    {
        const int slots = 200;
        var order = new List<int>();
        var inOrder = new InOrderAggregation(slots, order.Add); // unsynchronised on purpose: the gate admits one thread at a time
        for (var wave = 0; wave < 3; wave++)
        {
            order.Clear();
            inOrder.Start(slots, alreadyFinished: wave == 0 ? 1 : 0);
            var finishOrder = Enumerable.Range(wave == 0 ? 1 : 0, slots - (wave == 0 ? 1 : 0)).OrderBy(k => (k * 7919) % 211).ToArray();
            Parallel.ForEach(finishOrder, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
            {
                Thread.SpinWait(50 * (k % 13));
                inOrder.Finished(k);
            });
            inOrder.Drain();
            Assert.Equal(Enumerable.Range(0, slots), order);
        }
    }

    [Fact]
    public void AnAggregationErrorIsRethrownByDrainWithItsOwnType()
    {
        var aggregated = new List<int>();
        var inOrder = new InOrderAggregation(4, k =>
        {
            if (k == 2) throw new ArgumentException("example 0: logit NaN is not usable");
            aggregated.Add(k);
        });
        inOrder.Start(4, alreadyFinished: 0);
        for (var k = 3; k >= 0; k--) inOrder.Finished(k);
        var error = Assert.Throws<ArgumentException>(inOrder.Drain);
        Assert.Contains("logit NaN", error.Message);
        Assert.Equal([0, 1], aggregated);
    }
}
