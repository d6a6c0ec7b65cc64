using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Data.Migrations
{
    /// <inheritdoc />
    public partial class TaskPriorityAndLabels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<string>>(
                name: "labels",
                table: "tasks",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'::text[]");

            migrationBuilder.AddColumn<string>(
                name: "priority",
                table: "tasks",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValueSql: "'Normal'");

            migrationBuilder.CreateIndex(
                name: "ix_tasks_labels",
                table: "tasks",
                column: "labels")
                .Annotation("Npgsql:IndexMethod", "GIN");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tasks_labels",
                table: "tasks");

            migrationBuilder.DropColumn(
                name: "labels",
                table: "tasks");

            migrationBuilder.DropColumn(
                name: "priority",
                table: "tasks");
        }
    }
}
