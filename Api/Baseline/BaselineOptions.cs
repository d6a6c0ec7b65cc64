using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Baseline;

/// <summary>The <c>Bench</c> section, set only by the benchmark.</summary>
public sealed class BaselineOptions
{
    public const string SectionName = ServiceSettings.BenchSection;

    /// <summary>Maps the plain baseline endpoints (see <see cref="BaselineEndpoints"/>).</summary>
    public bool PlainEndpoints { get; set; }
}
