namespace TieredTenancy.Tenancy.Http;

/// <summary>The one rule for a query value that names an enum member (<c>?status=active</c>).</summary>
public static class EnumQuery
{
    /// <summary>A member by its name in any case, never by its number (which <see cref="Enum.TryParse{TEnum}(string?, bool, out TEnum)"/> would take).</summary>
    public static bool TryParse<T>(string? value, out T parsed) where T : struct, Enum =>
        Enum.TryParse(value, ignoreCase: true, out parsed) && !int.TryParse(value, out _);
}
