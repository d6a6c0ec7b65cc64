using Microsoft.Extensions.Options;

namespace TieredTenancy.Api.Tenants.Naming;

/// <summary>
/// The host's first label under the configured root domain (acme.app.example.com → acme), a
/// tenant's slug. Any other host, and every host when no root domain is configured, names no tenant.
/// </summary>
public sealed class SubdomainTenantNaming(IOptions<TenantDomainOptions> options) : ITenantNaming
{
    // Read once: the root domain does not change while the process runs.
    private readonly string _rootDomain = options.Value.RootDomain;

    public string? NameIn(HttpContext http)
    {
        var host = http.Request.Host.Host;
        if (_rootDomain.Length == 0 || !host.EndsWith("." + _rootDomain, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var label = host[..^(_rootDomain.Length + 1)];
        return label.Contains('.') ? null : label.ToLowerInvariant();
    }
}
