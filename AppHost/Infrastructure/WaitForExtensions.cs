namespace TieredTenancy.AppHost.Infrastructure;

public static class WaitForExtensions
{
    /// <summary>Starts the resource only once every one of <paramref name="dependencies"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IEnumerable<IResourceBuilder<IResource>> dependencies)
        where T : IResourceWithWaitSupport
    {
        foreach (var dependency in dependencies)
        {
            builder.WaitFor(dependency);
        }
        return builder;
    }
}
