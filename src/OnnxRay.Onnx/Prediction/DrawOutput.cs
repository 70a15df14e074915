namespace OnnxRay.Onnx.Prediction;

/// <summary>One draw's prediction output over all rows, and its Gaussian noise σ (NaN for classification).</summary>
internal readonly record struct DrawOutput(float[] Values, long[] Shape, double Sigma);
