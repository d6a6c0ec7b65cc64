using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class ClientRevocationAndRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "generation",
                table: "api_clients",
                type: "integer",
                nullable: false,
                // Clients made before rotation existed hold their first secret.
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "revoked_at",
                table: "api_clients",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "rotated_at",
                table: "api_clients",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "generation",
                table: "api_clients");

            migrationBuilder.DropColumn(
                name: "revoked_at",
                table: "api_clients");

            migrationBuilder.DropColumn(
                name: "rotated_at",
                table: "api_clients");
        }
    }
}
