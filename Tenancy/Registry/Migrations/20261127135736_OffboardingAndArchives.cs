using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class OffboardingAndArchives : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "deletion_certificate",
                table: "tenants",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "not_before",
                table: "operations",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "deletion_certificate",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "not_before",
                table: "operations");
        }
    }
}
