using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Tasks;

/// <summary>The task a route names: how its id is described, and the answer when there is none.</summary>
internal static class TaskRoute
{
    internal const string IdDescription = "The task's id (a UUID).";

    internal static ProblemHttpResult NotFound(string id) => Problems.NotFound($"There is no task '{id}'.");
}
