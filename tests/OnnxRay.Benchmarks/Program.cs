using System.Reflection;
using OnnxRay.Benchmarks;

// Dispatches to the IBenchmark named by the first argument; every IBenchmark in this assembly is found by reflection.
var benchmarks = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "list" or "--help" or "-h")
{
    Console.WriteLine("usage: dotnet run -c Release --project tests/OnnxRay.Benchmarks -- NAME [args]");
    foreach (var b in benchmarks) Console.WriteLine($"  {b.Name,-28} {b.Description}");
    return args.Length == 0 ? 1 : 0;
}

var chosen = benchmarks.FirstOrDefault(b => b.Name == args[0]);
if (chosen is null)
{
    Console.Error.WriteLine($"Unknown benchmark '{args[0]}'. Run with 'list' to see them.");
    return 2;
}
return chosen.Run(args[1..]);
