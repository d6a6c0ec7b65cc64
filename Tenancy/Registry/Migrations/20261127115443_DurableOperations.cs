using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class DurableOperations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_operations_status",
                table: "operations");

            migrationBuilder.DropIndex(
                name: "ix_operations_tenant_id",
                table: "operations");

            migrationBuilder.AlterColumn<long>(
                name: "total",
                table: "operations",
                type: "bigint",
                nullable: false,
                oldClrType: typeof(int),
                oldType: "integer");

            migrationBuilder.AlterColumn<string>(
                name: "phase",
                table: "operations",
                type: "character varying(40)",
                maxLength: 40,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AlterColumn<long>(
                name: "done",
                table: "operations",
                type: "bigint",
                nullable: false,
                oldClrType: typeof(int),
                oldType: "integer");

            migrationBuilder.AddColumn<string>(
                name: "actor",
                table: "operations",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "system");

            migrationBuilder.AddColumn<int>(
                name: "attempts",
                table: "operations",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "fault_plan",
                table: "operations",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lease_expires_at",
                table: "operations",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "lease_owner",
                table: "operations",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "parameters",
                table: "operations",
                type: "jsonb",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<string>(
                name: "state",
                table: "operations",
                type: "jsonb",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "updated_at",
                table: "operations",
                type: "timestamp with time zone",
                nullable: false,
                defaultValueSql: "now()");

            migrationBuilder.CreateIndex(
                name: "ix_operations_one_active_per_tenant",
                table: "operations",
                column: "tenant_id",
                unique: true,
                filter: "status IN ('Pending', 'Running')");

            migrationBuilder.CreateIndex(
                name: "ix_operations_status_lease_expires_at",
                table: "operations",
                columns: new[] { "status", "lease_expires_at" });

            migrationBuilder.CreateIndex(
                name: "ix_operations_tenant_id_started_at",
                table: "operations",
                columns: new[] { "tenant_id", "started_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_operations_one_active_per_tenant",
                table: "operations");

            migrationBuilder.DropIndex(
                name: "ix_operations_status_lease_expires_at",
                table: "operations");

            migrationBuilder.DropIndex(
                name: "ix_operations_tenant_id_started_at",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "actor",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "attempts",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "fault_plan",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "lease_expires_at",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "lease_owner",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "parameters",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "state",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "updated_at",
                table: "operations");

            migrationBuilder.AlterColumn<int>(
                name: "total",
                table: "operations",
                type: "integer",
                nullable: false,
                oldClrType: typeof(long),
                oldType: "bigint");

            migrationBuilder.AlterColumn<string>(
                name: "phase",
                table: "operations",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(40)",
                oldMaxLength: 40);

            migrationBuilder.AlterColumn<int>(
                name: "done",
                table: "operations",
                type: "integer",
                nullable: false,
                oldClrType: typeof(long),
                oldType: "bigint");

            migrationBuilder.CreateIndex(
                name: "ix_operations_status",
                table: "operations",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_operations_tenant_id",
                table: "operations",
                column: "tenant_id");
        }
    }
}
