using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class OperationFencing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "operation_claims",
                columns: table => new
                {
                    operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    instance = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ended_backends = table.Column<int>(type: "integer", nullable: false),
                    fenced_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operation_claims", x => new { x.operation_id, x.attempt });
                    table.ForeignKey(
                        name: "fk_operation_claims_operations_operation_id",
                        column: x => x.operation_id,
                        principalTable: "operations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            // The fence: which attempt of an operation may change state. A fenced step holds its row FOR SHARE
            // (through tt_operation_fence) until it commits, so a new attempt's claim waits for it, or ends it.
            migrationBuilder.Sql("""
                CREATE TABLE operation_fences (
                  operation_id uuid PRIMARY KEY REFERENCES operations (id) ON DELETE CASCADE,
                  attempt integer NOT NULL);

                CREATE FUNCTION tt_operation_fence(operation uuid, attempt integer) RETURNS void
                LANGUAGE plpgsql AS $fence$
                DECLARE current_attempt integer;
                BEGIN
                  SELECT f.attempt INTO current_attempt FROM operation_fences f WHERE f.operation_id = operation FOR SHARE;
                  IF current_attempt IS DISTINCT FROM attempt THEN
                    RAISE EXCEPTION 'attempt % of operation % is superseded (the fence names attempt %)', attempt, operation, coalesce(current_attempt, 0)
                      USING ERRCODE = 'TT002';
                  END IF;
                END $fence$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION tt_operation_fence(uuid, integer); DROP TABLE operation_fences;");
            migrationBuilder.DropTable(
                name: "operation_claims");
        }
    }
}
