using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TieredTenancy.Tenancy.Registry.Migrations
{
    /// <inheritdoc />
    public partial class RegistryNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The registry's second broadcast channel, sent by the catalog itself when the transaction that changed it
            // commits: every Api replica listens (RegistryChangeFeed), so a change reaches them all without Redis. The
            // payloads are those of the Redis channel (RegistryChanges), stamped with the time of the change.
            migrationBuilder.Sql("""
                CREATE FUNCTION tt_registry_notify() RETURNS trigger
                LANGUAGE plpgsql AS $notify$
                DECLARE
                  changed record := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                  change text;
                BEGIN
                  IF TG_TABLE_NAME = 'tenants' THEN
                    change := changed.id::text;
                  ELSIF TG_TABLE_NAME = 'api_clients' THEN
                    change := 'client:' || changed.client_id;
                  ELSIF TG_TABLE_NAME = 'plans' THEN
                    change := 'plans';
                  ELSIF changed.tenant_id IS NOT NULL THEN
                    change := changed.tenant_id::text;
                  ELSE
                    change := 'placement:' || changed.server || '/' || changed.database || '/' || changed.schema;
                  END IF;
                  PERFORM pg_notify('tt_registry_changes', change || '@' || floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
                  RETURN NULL;
                END $notify$;

                CREATE TRIGGER tt_registry_notify AFTER INSERT OR DELETE OR UPDATE ON tenants
                  FOR EACH ROW EXECUTE FUNCTION tt_registry_notify();
                CREATE TRIGGER tt_registry_notify AFTER INSERT OR DELETE OR UPDATE ON plans
                  FOR EACH ROW EXECUTE FUNCTION tt_registry_notify();
                -- A new client has nothing to refuse yet; a revoked, rotated or deleted one has.
                CREATE TRIGGER tt_registry_notify AFTER DELETE OR UPDATE ON api_clients
                  FOR EACH ROW EXECUTE FUNCTION tt_registry_notify();
                -- Storage changes the registry only when it is migrated to another version.
                CREATE TRIGGER tt_registry_notify AFTER UPDATE OF migration_version ON storage_targets
                  FOR EACH ROW WHEN (OLD.migration_version IS DISTINCT FROM NEW.migration_version) EXECUTE FUNCTION tt_registry_notify();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER tt_registry_notify ON storage_targets;
                DROP TRIGGER tt_registry_notify ON api_clients;
                DROP TRIGGER tt_registry_notify ON plans;
                DROP TRIGGER tt_registry_notify ON tenants;
                DROP FUNCTION tt_registry_notify();
                """);
        }
    }
}
