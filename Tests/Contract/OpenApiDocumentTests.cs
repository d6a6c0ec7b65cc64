using Aspire.Hosting.Testing;
using Microsoft.OpenApi;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Contract;

/// <summary>
/// A client can be generated from each service's OpenAPI document: every operation has an id and
/// a summary, says what it answers on success with a schema, answers its errors as problem
/// details and names the security it needs. Each fetched document is also kept beside the test
/// binaries (<c>openapi/{resource}.json</c>), ready for a linter.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class OpenApiDocumentTests(StackFixture stack)
{
    /// <summary>The services that publish a document: the tenant plane and the control plane.</summary>
    public static TheoryData<string> Services() => new() { "api", "provisioner" };

    // Outside the contract: the probes and the documents themselves.
    private static readonly string[] Infrastructure = ["/health", "/alive", "/openapi", "/scalar"];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Every_operation_documents_its_success_schema_its_problem_details_and_its_security(string resource)
    {
        var document = await LoadAsync(resource);
        var schemes = document.Components?.SecuritySchemes?.Keys.ToHashSet() ?? [];
        var failures = new List<string>();
        foreach (var (path, item) in document.Paths.Where(path => !Infrastructure.Any(prefix => path.Key.StartsWith(prefix, StringComparison.Ordinal))))
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                failures.AddRange(Check(operation, document, schemes).Select(failure => $"{method} {path}: {failure}"));
            }
        }
        Assert.True(document.Paths.Count > 0, $"the {resource} document has no paths");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static IEnumerable<string> Check(OpenApiOperation operation, OpenApiDocument document, HashSet<string> schemes)
    {
        if (string.IsNullOrEmpty(operation.OperationId))
        {
            yield return "no operation id";
        }
        if (string.IsNullOrEmpty(operation.Summary))
        {
            yield return "no summary";
        }

        var responses = operation.Responses ?? [];
        var successes = responses.Where(response => response.Key.StartsWith('2')).ToList();
        if (successes.Count == 0)
        {
            yield return "no success response";
        }
        // 204 is the one success that has no body by definition.
        foreach (var (status, response) in successes.Where(response => response.Key != "204"))
        {
            if (response.Content is not { Count: > 0 } content || content.Values.Any(media => media.Schema is null))
            {
                yield return $"{status} has no schema";
            }
        }

        var errors = responses.Where(response => response.Key.StartsWith('4')).ToList();
        if (errors.Count == 0)
        {
            yield return "no 4xx response";
        }
        foreach (var (status, response) in errors)
        {
            if (response.Content?.TryGetValue("application/problem+json", out var media) != true || media?.Schema?.Properties?.ContainsKey("detail") != true)
            {
                yield return $"{status} is not documented as problem details";
            }
        }

        var security = operation.Security is { Count: > 0 } ? operation.Security : document.Security;
        if (security is not { Count: > 0 })
        {
            yield return "no security requirement";
        }
        else if (security.SelectMany(requirement => requirement.Keys).FirstOrDefault(scheme => !schemes.Contains(scheme.Reference.Id ?? "")) is { } undefined)
        {
            yield return $"security scheme '{undefined.Reference.Id}' is not defined";
        }
    }

    private async Task<OpenApiDocument> LoadAsync(string resource)
    {
        using var client = stack.App.CreateHttpClient(resource);
        using var response = await client.GetAsync("/openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{resource} answered {(int)response.StatusCode} for its OpenAPI document: {text}");

        var kept = Path.Combine(AppContext.BaseDirectory, "openapi", $"{resource}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
        await File.WriteAllTextAsync(kept, text);

        var (document, diagnostic) = OpenApiDocument.Parse(text, OpenApiConstants.Json);
        Assert.True(document is not null && diagnostic?.Errors is not { Count: > 0 },
            $"the {resource} document does not load: {string.Join("; ", diagnostic?.Errors.Select(error => error.ToString()) ?? [])}");
        return document!;
    }
}
