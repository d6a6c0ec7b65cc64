namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>Neither a container engine nor local servers can bring the stack up; the message says what to install.</summary>
public sealed class InfrastructureUnavailableException(string message) : Exception(message);
