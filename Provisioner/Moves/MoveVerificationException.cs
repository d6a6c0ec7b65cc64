namespace TieredTenancy.Provisioner.Moves;

/// <summary>The target does not hold exactly the source's rows: the move must not flip.</summary>
public sealed class MoveVerificationException(string message) : Exception(message);
