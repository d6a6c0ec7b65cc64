using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class FleetMigrationPlans : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "target_migrations",
                columns: table => new
                {
                    operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    target_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    server = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    database = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    schema = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    stage = table.Column<int>(type: "integer", nullable: false),
                    from_version = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: false),
                    to_version = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "text", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_target_migrations", x => new { x.operation_id, x.target_id });
                    table.ForeignKey(
                        name: "fk_target_migrations_operations_operation_id",
                        column: x => x.operation_id,
                        principalTable: "operations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_operations_one_active_migration",
                table: "operations",
                column: "kind",
                unique: true,
                filter: "kind = 'Migrate' AND status IN ('Pending', 'Running')");

            migrationBuilder.CreateIndex(
                name: "ix_target_migrations_operation_id_state_stage",
                table: "target_migrations",
                columns: new[] { "operation_id", "state", "stage" });

            migrationBuilder.CreateIndex(
                name: "ix_target_migrations_target_id_operation_id",
                table: "target_migrations",
                columns: new[] { "target_id", "operation_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "target_migrations");

            migrationBuilder.DropIndex(
                name: "ix_operations_one_active_migration",
                table: "operations");
        }
    }
}
