using Microsoft.Extensions.Options;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>
/// Fault injection for the tests that prove a failure leaves nothing half-made. Only when
/// <c>Provisioning:AllowFaultInjection</c> is on (the AppHost sets it for test runs only) does the
/// <c>X-Fault-Injection</c> header name a step at which provisioning fails.
/// </summary>
public sealed class ProvisioningFaults(IHttpContextAccessor http, IOptions<ProvisioningOptions> options)
{
    public const string Header = "X-Fault-Injection";

    public void At(string step)
    {
        if (options.Value.AllowFaultInjection && http.HttpContext?.Request.Headers[Header].ToString() == step)
        {
            throw new InjectedFaultException(step);
        }
    }
}

public sealed class InjectedFaultException(string step) : Exception($"Fault injected at provisioning step '{step}'.");

public sealed class ProvisioningOptions
{
    public const string SectionName = "Provisioning";

    public bool AllowFaultInjection { get; set; }
}
