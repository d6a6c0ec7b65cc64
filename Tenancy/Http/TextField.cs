namespace TieredTenancy.Tenancy.Http;

/// <summary>The one rule for free text a client names things with: not blank, bounded, no control characters.</summary>
public static class TextField
{
    /// <summary>Adds an error for <paramref name="field"/> unless <paramref name="value"/> is acceptable.</summary>
    public static void Check(Dictionary<string, string[]> errors, string field, string? value, int maxLength, bool required = true)
    {
        var acceptable = value is null
            ? !required
            : !string.IsNullOrWhiteSpace(value) && value.Length <= maxLength && !value.Any(char.IsControl);
        if (!acceptable)
        {
            errors[field] = [$"{field} must be {(required ? "1" : "0")} to {maxLength} characters, not only spaces, without control characters."];
        }
    }
}
