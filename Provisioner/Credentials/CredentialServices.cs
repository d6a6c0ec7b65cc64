using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Credentials;

public static class CredentialServices
{
    /// <summary>Rotation of database-tier tenants' credentials, as a durable operation.</summary>
    public static IHostApplicationBuilder AddCredentialRotation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CredentialOptions>(CredentialOptions.SectionName);
        builder.Services.AddOperationHandler<CredentialRotation>(OperationKind.Rotate);
        return builder;
    }
}
