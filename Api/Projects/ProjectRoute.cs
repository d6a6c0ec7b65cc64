using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Projects;

/// <summary>The project a route names: how its id is described, and the answer when there is none.</summary>
internal static class ProjectRoute
{
    internal const string IdDescription = "The project's id (a UUID).";

    // Another tenant's project answers exactly like one that does not exist.
    internal static ProblemHttpResult NotFound(string id) => Problems.NotFound($"There is no project '{id}'.");
}
