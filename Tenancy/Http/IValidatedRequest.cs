namespace TieredTenancy.Tenancy.Http;

/// <summary>A request body that can say what is wrong with its fields.</summary>
public interface IValidatedRequest
{
    /// <summary>Field name → what is wrong with it; empty when every field is good.</summary>
    Dictionary<string, string[]> Validate();
}
