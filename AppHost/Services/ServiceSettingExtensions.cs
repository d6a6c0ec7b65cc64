using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.AppHost.Services;

/// <summary>Hands a service its settings as environment variables, under the names in <see cref="ServiceSettings"/>.</summary>
public static class ServiceSettingExtensions
{
    public static IResourceBuilder<ProjectResource> WithSetting(this IResourceBuilder<ProjectResource> service, ServiceSetting setting, string value) =>
        service.WithEnvironment(setting.EnvironmentVariable, value);

    public static IResourceBuilder<ProjectResource> WithSetting(this IResourceBuilder<ProjectResource> service, ServiceSetting setting,
        IResourceBuilder<ParameterResource> value) =>
        service.WithEnvironment(setting.EnvironmentVariable, value);

    public static IResourceBuilder<ProjectResource> WithSetting(this IResourceBuilder<ProjectResource> service, ServiceSetting setting, ReferenceExpression value) =>
        service.WithEnvironment(setting.EnvironmentVariable, value);

    /// <summary>Requests to <c>&lt;slug&gt;.&lt;root domain&gt;</c> name their tenant by subdomain; the AppHost's <c>Tenancy:RootDomain</c> (none by default).</summary>
    public static IResourceBuilder<ProjectResource> WithTenantSubdomains(this IResourceBuilder<ProjectResource> api, IConfiguration configuration) =>
        api.WithSetting(ServiceSettings.RootDomain, configuration[ServiceSettings.RootDomain.Key] ?? "");

    /// <summary>Only test runs may make provisioning fail on purpose (and reach the Api's slow query): the AppHost's <c>Testing:AllowFaultInjection</c>, off by default.</summary>
    public static IResourceBuilder<ProjectResource> WithFaultInjectionForTests(this IResourceBuilder<ProjectResource> service, IConfiguration configuration) =>
        service.WithSetting(ServiceSettings.AllowFaultInjection, configuration.GetValue<bool>("Testing:AllowFaultInjection").ToString());

    /// <summary>
    /// The AppHost's <c>Capacity</c> section (timeouts, budgets), handed as it is to a service, so the
    /// Provisioner and every Api replica read the same values (tests and the benchmark set small ones).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithCapacitySettings(this IResourceBuilder<ProjectResource> service, IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection(ServiceSettings.CapacitySection).AsEnumerable())
        {
            if (value is not null)
            {
                service.WithEnvironment(key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal), value);
            }
        }
        return service;
    }

    /// <summary>
    /// Only the benchmark maps the Api's plain baseline endpoints: the AppHost's <c>Bench:PlainEndpoints</c>,
    /// off by default. Only then does the Api get the shared database's superuser login, which the
    /// baseline reads with (no tenancy at all, not even row-level security).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPlainBaselineForBench(this IResourceBuilder<ProjectResource> api, IConfiguration configuration,
        IResourceBuilder<IResourceWithConnectionString> sharedDatabase)
    {
        var on = configuration.GetValue<bool>(ServiceSettings.PlainEndpoints.Key);
        api.WithSetting(ServiceSettings.PlainEndpoints, on.ToString());
        return on ? api.WithEnvironment($"ConnectionStrings__{ServiceSettings.PlainBaselineConnection}", sharedDatabase.Resource.ConnectionStringExpression) : api;
    }
}
