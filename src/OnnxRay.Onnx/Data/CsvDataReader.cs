using System.Globalization;
using OnnxRay.Onnx.Errors;

namespace OnnxRay.Onnx.Data;

/// <summary>
/// Reads a CSV table (header row, comma-separated numbers) into the arrays a single-input model needs:
/// every column except the target becomes the features of the model input (float32 [N, F], reshaped to the
/// input's static shape when its rank differs, e.g. [N, 1, 8, 8] from 64 pixel columns), and the target column
/// becomes <c>target</c> (int64 class labels or float32 values).
/// </summary>
public static class CsvDataReader
{
    /// <param name="path">The CSV file.</param>
    /// <param name="inputName">Name of the model input that receives the feature columns.</param>
    /// <param name="inputDims">The input's dimensions after the batch dimension, or null to keep [N, F] (0 = unknown).</param>
    /// <param name="targetColumn">Name of the target column, or null when the file has no target (prediction).</param>
    /// <param name="integerTarget">Store the target as int64 class labels (categorical likelihood) instead of float32.</param>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path, string inputName, IReadOnlyList<long>? inputDims, string? targetColumn, bool integerTarget)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new DataMismatchException(path, "header", "the file is empty; a header row with column names is required.");
        var columns = header.Split(',').Select(c => c.Trim().Trim('"')).ToArray();
        var targetIndex = -1;
        if (targetColumn is not null)
        {
            targetIndex = Array.IndexOf(columns, targetColumn);
            if (targetIndex < 0)
                throw new DataMismatchException(path, targetColumn, $"--target-column '{targetColumn}' is not a column (columns: {string.Join(", ", columns)}).");
        }

        var features = new List<float>();
        var targets = new List<double>();
        var featureCount = columns.Length - (targetIndex >= 0 ? 1 : 0);
        var lineNumber = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != columns.Length)
                throw new DataMismatchException(path, $"line {lineNumber}", $"has {cells.Length} cells but the header has {columns.Length} columns.");
            for (var c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c].Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw new DataMismatchException(path, columns[c], $"line {lineNumber}: '{cells[c]}' is not a number.");
                if (c == targetIndex) targets.Add(value);
                else features.Add((float)value);
            }
        }

        var rows = (long)(featureCount == 0 ? targets.Count : features.Count / featureCount);
        long[] shape = [rows, featureCount];
        if (inputDims is { Count: > 0 } dims && (dims.Count != 1 || dims[0] != featureCount))
        {
            var known = dims.All(d => d > 0) ? dims.Aggregate(1L, (a, d) => a * d) : -1;
            if (known != featureCount)
                throw new DataMismatchException(path, inputName,
                    $"{featureCount} feature columns cannot fill the model input's row shape [{string.Join(",", dims)}].");
            shape = [rows, .. dims];
        }

        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal) { [inputName] = NpyArray.FromFloats(features.ToArray(), shape) };
        if (targetIndex >= 0)
        {
            if (integerTarget)
            {
                var labels = new long[targets.Count];
                for (var i = 0; i < labels.Length; i++)
                {
                    if (targets[i] != Math.Round(targets[i]))
                        throw new DataMismatchException(path, targetColumn!, $"row {i + 1}: class label {targets[i]} is not an integer.");
                    labels[i] = (long)targets[i];
                }
                arrays["target"] = NpyArray.FromInt64s(labels, rows);
            }
            else
                arrays["target"] = NpyArray.FromFloats(targets.Select(t => (float)t).ToArray(), rows);
        }
        return arrays;
    }
}
