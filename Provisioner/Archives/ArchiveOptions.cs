using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Archives;

/// <summary>The <c>Archives</c> section: where tenant archives are kept, and for how long.</summary>
public sealed class ArchiveOptions
{
    public const string SectionName = ServiceSettings.ArchivesSection;

    /// <summary>The archive store: a folder (the AppHost passes one under its data folder).</summary>
    [Required(ErrorMessage = "Archives:Folder is not set; the AppHost passes a folder under its data folder.")]
    public string Folder { get; set; } = "";

    /// <summary>How long an offboarded tenant's archive is kept, and its slug reserved, after the deletion.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The largest archive an import accepts.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxImportBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
