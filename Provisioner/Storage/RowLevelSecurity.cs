using TieredTenancy.Tenancy.Storage;
namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Row tier: every shared table with a <c>tenant_id</c> gets RLS enabled and FORCEd, and a policy
/// on the per-connection setting <c>app.tenant_id</c>. Without the setting the policy compares
/// with NULL and nothing is visible; a malformed setting fails the query. Idempotent, so it runs
/// after every migration and covers tables a later migration adds.
/// </summary>
public static class RowLevelSecurity
{
    public const string TenantSetting = "app.tenant_id";

    public static string ApplySql(string schema, string appRole) => $"""
        DO $rls$
        DECLARE t record;
        BEGIN
          FOR t IN
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, c.oid
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE n.nspname = {Sql.Literal(schema)} AND c.relkind IN ('r', 'p') AND c.relname <> {Sql.Literal(PlacementFences.Table)}
          LOOP
            -- Each change below locks the table against every tenant's requests: made only when missing,
            -- so a restart under load changes nothing and waits for nobody.
            IF NOT t.relrowsecurity THEN
              EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', {Sql.Literal(schema)}, t.relname);
            END IF;
            IF NOT t.relforcerowsecurity THEN
              EXECUTE format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', {Sql.Literal(schema)}, t.relname);
            END IF;
            IF NOT EXISTS (SELECT FROM pg_policies WHERE schemaname = {Sql.Literal(schema)} AND tablename = t.relname AND policyname = 'tenant_isolation') THEN
              EXECUTE format(
                'CREATE POLICY tenant_isolation ON %I.%I USING (tenant_id = NULLIF(current_setting(%L, true), '''')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting(%L, true), '''')::uuid)',
                {Sql.Literal(schema)}, t.relname, {Sql.Literal(TenantSetting)}, {Sql.Literal(TenantSetting)});
            END IF;
            IF NOT (has_table_privilege({Sql.Literal(appRole)}, t.oid, 'SELECT') AND has_table_privilege({Sql.Literal(appRole)}, t.oid, 'INSERT')
                AND has_table_privilege({Sql.Literal(appRole)}, t.oid, 'UPDATE') AND has_table_privilege({Sql.Literal(appRole)}, t.oid, 'DELETE')) THEN
              EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %I', {Sql.Literal(schema)}, t.relname, {Sql.Literal(appRole)});
            END IF;
          END LOOP;
        END
        $rls$;
        """;
}
