using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class PlanRequestLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "limits_concurrent_requests",
                table: "plans",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "limits_request_burst",
                table: "plans",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Plans of an existing catalog: the seed plans get the seed's limits, any other a tenth of its rate per minute as burst.
            migrationBuilder.Sql("""
                UPDATE plans SET
                  limits_request_burst = CASE name WHEN 'free' THEN 20 WHEN 'pro' THEN 60 WHEN 'business' THEN 200 WHEN 'enterprise' THEN 600
                                         ELSE greatest(1, limits_requests_per_minute / 10) END,
                  limits_concurrent_requests = CASE name WHEN 'free' THEN 4 WHEN 'pro' THEN 10 WHEN 'business' THEN 25 WHEN 'enterprise' THEN 50
                                         ELSE 10 END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "limits_concurrent_requests",
                table: "plans");

            migrationBuilder.DropColumn(
                name: "limits_request_burst",
                table: "plans");
        }
    }
}
