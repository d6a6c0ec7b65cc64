using TieredTenancy.Tenancy.Archives;

namespace TieredTenancy.Tests.Archives;

/// <summary>An import gives every archived row the new tenant's id, whatever the CSV holds around it.</summary>
public sealed class ArchivedRowsTests
{
    private static readonly Guid NewTenant = Guid.Parse("11111111-2222-3333-4444-555555555555");

    private const string Csv =
        "tenant_id,id,title,body\n" +
        "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa,1,\"a, \"\"quoted\"\" title\nover two lines\",x\n" +
        "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa,2,plain,\n";

    [Theory]
    [InlineData(0, "11111111-2222-3333-4444-555555555555,1,\"a, \"\"quoted\"\" title\nover two lines\",x\n11111111-2222-3333-4444-555555555555,2,plain,\n")]
    [InlineData(3, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa,1,\"a, \"\"quoted\"\" title\nover two lines\",11111111-2222-3333-4444-555555555555\naaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa,2,plain,11111111-2222-3333-4444-555555555555\n")]
    public async Task The_tenant_column_is_replaced_in_every_record_and_nothing_else_changes(int column, string expectedRecords)
    {
        var output = new StringWriter();
        await ArchivedRows.CopyAsNewTenantAsync(new StringReader(Csv), output, column, NewTenant, CancellationToken.None);
        Assert.Equal("tenant_id,id,title,body\n" + expectedRecords, output.ToString());
    }

    [Fact]
    public async Task A_file_larger_than_the_buffer_comes_through_whole()
    {
        var rows = Enumerable.Range(0, 5000).Select(i => $"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa,{i},\"title, {i}\",{new string('x', i % 50)}\n");
        var output = new StringWriter();
        await ArchivedRows.CopyAsNewTenantAsync(new StringReader("tenant_id,id,title,body\n" + string.Concat(rows)), output, 0, NewTenant, CancellationToken.None);
        Assert.Equal("tenant_id,id,title,body\n" + string.Concat(rows).Replace("aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", NewTenant.ToString()), output.ToString());
    }

    [Fact]
    public async Task Chunks_end_on_record_boundaries_even_inside_a_quoted_newline_and_the_header_goes_with_the_first()
    {
        var chunks = new List<StringWriter> { new() };
        await ArchivedRows.CopyAsNewTenantAsync(new StringReader(Csv + Csv[(Csv.IndexOf('\n') + 1)..]), chunks[0], 0, NewTenant, CancellationToken.None,
            _ =>
            {
                chunks.Add(new StringWriter());
                return Task.FromResult<TextWriter>(chunks[^1]);
            }, rowsPerChunk: 2);
        var records = Csv[(Csv.IndexOf('\n') + 1)..].Replace("aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", NewTenant.ToString());
        // Four records, two a chunk: the second chunk's first record holds a quoted newline, and no chunk begins mid-record.
        Assert.Equal(["tenant_id,id,title,body\n" + records, records, ""], chunks.Select(chunk => chunk.ToString()));
    }
}
