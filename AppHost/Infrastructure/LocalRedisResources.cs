using System.Net;
using System.Net.Sockets;
using Garnet;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary><c>redis-server</c> from the machine, as an Aspire executable resource.</summary>
public sealed class RedisServerProcessResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    // The shape of Aspire's RedisResource connection string.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)},password={Password}");
}

/// <summary>
/// A Garnet server (RESP-compatible) inside the AppHost's own process, for machines without
/// redis-server. It lives and dies with the AppHost, so it can never be left behind.
/// </summary>
public sealed class EmbeddedGarnetResource(string name, ParameterResource password) : Resource(name), IResourceWithConnectionString
{
    public ParameterResource Password { get; } = password;

    /// <summary>Chosen by the operating system when the server starts (port 0), so runs never collide.</summary>
    public int Port { get; private set; }

    private GarnetServer? _server;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"127.0.0.1:{PortText},password={Password}");

    // A value provider, so the port is read when the connection string is resolved, after the start.
    private PortValue PortText => new(this);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var secret = await Password.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException($"The password parameter of '{Name}' has no value.");
        Port = FreeLoopbackPort();
        _server = new GarnetServer(
        [
            "--bind", "127.0.0.1",
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lua", "true",
            // Caps: the cache holds registry entries and rate-limit counters, not bulk data.
            "--memory", "128m",
            "--index", "16m",
            "--auth", "Password",
            "--password", secret,
            "--logger-level", "Warning",
        ]);
        _server.Start();
    }

    public void Stop()
    {
        _server?.Dispose();
        _server = null;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class PortValue(EmbeddedGarnetResource owner) : IValueProvider, IManifestExpressionProvider
    {
        public string ValueExpression => $"{{{owner.Name}.port}}";

        public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<string?>(owner.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
