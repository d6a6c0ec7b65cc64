namespace TieredTenancy.Bench;

/// <summary>What the benchmark itself was built as, for the report headers.</summary>
public static class BuildInfo
{
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif
}
