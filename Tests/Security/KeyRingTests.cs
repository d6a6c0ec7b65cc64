using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using System.Buffers.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Security;

/// <summary>The key ring in the catalog is encrypted: a copy of the catalog alone decrypts nothing; a new key leaves what the old one protected readable.</summary>
[Collection(StackCollection.Name)]
public sealed class KeyRingTests(StackFixture stack)
{
    [Fact]
    public async Task A_dump_of_the_catalog_cannot_decrypt_tenant_credentials_or_the_signing_key_without_the_key_encryption_certificate()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenantId = Guid.Parse((await admin.CreateTenantAsync("enterprise")).GetProperty("id").GetString()!);

        // What a stolen backup of the catalog holds.
        await using var catalog = await stack.App.OpenAsync("catalog");
        var keys = await ReadColumnAsync(catalog, "SELECT xml FROM data_protection_keys");
        var protectedCredentials = (await ReadColumnAsync(catalog, "SELECT placement_protected_connection_string FROM tenants WHERE id = $1", tenantId)).Single();
        var protectedSigningKey = (await ReadColumnAsync(catalog, "SELECT protected_key FROM signing_keys ORDER BY created_at LIMIT 1")).Single();
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.Contains("<encryptedSecret", key);
            Assert.DoesNotContain("<masterKey", key);
        }

        var withoutCertificate = Protector(keys, certificate: null);
        Assert.ThrowsAny<CryptographicException>(() => withoutCertificate.CreateProtector(TenantConnectionProtection.Purpose).Unprotect(protectedCredentials));
        Assert.ThrowsAny<CryptographicException>(() => withoutCertificate.CreateProtector("TieredTenancy.TokenSigningKey.v1").Unprotect(protectedSigningKey));

        // With the AppHost's certificate the same dump opens, and the credentials are the tenant's working login.
        var withCertificate = Protector(keys, await stack.App.ParameterAsync("key-encryption-certificate"));
        var credentials = new NpgsqlConnectionStringBuilder(withCertificate.CreateProtector(TenantConnectionProtection.Purpose).Unprotect(protectedCredentials));
        var expected = await CatalogSecrets.TenantCredentialsAsync(stack.App, tenantId);
        Assert.Equal(expected.Username, credentials.Username);
        Assert.Equal(expected.Password, credentials.Password);
    }

    [Fact]
    public async Task After_a_new_key_becomes_the_default_new_credentials_use_it_and_credentials_under_the_old_key_stay_readable()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenantId = Guid.Parse((await admin.CreateTenantAsync("enterprise")).GetProperty("id").GetString()!);
        await using var catalog = await stack.App.OpenAsync("catalog");
        var ring = new DumpedKeyRing((await ReadColumnAsync(catalog, "SELECT xml FROM data_protection_keys")).Select(key => XElement.Parse(key)).ToList());
        var oldCredentials = (await ReadColumnAsync(catalog, "SELECT placement_protected_connection_string FROM tenants WHERE id = $1", tenantId)).Single();
        var certificate = await stack.App.ParameterAsync("key-encryption-certificate");

        // A copy of the ring rotated the way the Provisioner's Data Protection rotates it: a new key, encrypted with the certificate, now the default.
        var services = Protector(ring, certificate, protectNewKeys: true);
        var newKey = services.GetRequiredService<IKeyManager>().CreateNewKey(DateTimeOffset.UtcNow.AddSeconds(-1), DateTimeOffset.UtcNow.AddDays(90));
        var stored = Assert.Single(ring.Added);
        Assert.Contains("<encryptedSecret", stored.ToString());
        Assert.DoesNotContain("<masterKey", stored.ToString());

        var rotated = Protector(ring, certificate).GetRequiredService<IDataProtectionProvider>().CreateProtector(TenantConnectionProtection.Purpose);
        var newCredentials = rotated.Protect("Database=tdb_new;Username=tdb_new;Password=fresh");
        Assert.Equal(newKey.KeyId, KeyIdOf(newCredentials));
        Assert.NotEqual(newKey.KeyId, KeyIdOf(oldCredentials));
        var old = new NpgsqlConnectionStringBuilder(rotated.Unprotect(oldCredentials));
        Assert.Equal((await CatalogSecrets.TenantCredentialsAsync(stack.App, tenantId)).Password, old.Password);
    }

    /// <summary>A Data Protection payload starts with a 4-byte magic header and the id of the key that protected it.</summary>
    private static Guid KeyIdOf(string payload) => new(Base64Url.DecodeFromChars(payload).AsSpan(4, 16));

    private static IDataProtectionProvider Protector(IReadOnlyList<string> keys, string? certificate) =>
        Protector(new DumpedKeyRing(keys.Select(key => XElement.Parse(key)).ToList()), certificate).GetRequiredService<IDataProtectionProvider>();

    private static ServiceProvider Protector(DumpedKeyRing ring, string? certificate, bool protectNewKeys = false)
    {
        var services = new ServiceCollection();
        var builder = services.AddDataProtection().SetApplicationName(TenantConnectionProtection.ApplicationName).DisableAutomaticKeyGeneration();
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = ring);
        if (certificate is not null)
        {
            builder.UnprotectKeysWithAnyCertificate(CatalogKeyRing.LoadCertificate(certificate));
            if (protectNewKeys)
            {
                builder.ProtectKeysWithCertificate(CatalogKeyRing.LoadCertificate(certificate));
            }
        }
        return services.BuildServiceProvider();
    }

    private static async Task<IReadOnlyList<string>> ReadColumnAsync(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }

    /// <summary>The key rows as copied out of the catalog, in memory (the stack's own ring is left alone); keys added here are kept apart.</summary>
    private sealed class DumpedKeyRing(IReadOnlyList<XElement> elements) : IXmlRepository
    {
        public List<XElement> Added { get; } = [];

        public IReadOnlyCollection<XElement> GetAllElements() => [.. elements, .. Added];

        public void StoreElement(XElement element, string friendlyName) => Added.Add(element);
    }
}
