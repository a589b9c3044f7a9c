import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every instance keeps the principals it has checked (a session's user and role, a service
 * client's scopes) in memory for a short while instead of reading them on every request. These
 * triggers tell every instance at once, on the `principal_changes` channel, when one stops being
 * true: a session revoked or gone, a user's role or active flag changed or the user gone, a service
 * client's secret rotated, scopes changed, deactivated or gone. They fire for changes made by any
 * path, the API, the CLI or plain SQL, and the notice is delivered at commit.
 */
export class PrincipalChanges1764500000000 implements MigrationInterface {
  name = 'PrincipalChanges1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION principal_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'auth_sessions' THEN
          PERFORM pg_notify('principal_changes', 'session:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END));
        ELSIF TG_TABLE_NAME = 'users' THEN
          PERFORM pg_notify('principal_changes', 'user:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END));
        ELSE
          PERFORM pg_notify('principal_changes', 'client:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.client_id ELSE NEW.client_id END));
        END IF;
        RETURN NULL;
      END $$`);
    const watch = async (table: string, changed: string) => {
      await q.query(`
        CREATE TRIGGER ${table}_principal_changed AFTER UPDATE ON ${table}
          FOR EACH ROW WHEN (${changed}) EXECUTE FUNCTION principal_changes_notify()`);
      await q.query(`
        CREATE TRIGGER ${table}_principal_gone AFTER DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION principal_changes_notify()`);
    };
    await watch('auth_sessions', 'OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.user_id IS DISTINCT FROM NEW.user_id');
    await watch('users', 'OLD.role IS DISTINCT FROM NEW.role OR OLD.active IS DISTINCT FROM NEW.active');
    await watch(
      'service_clients',
      'OLD.secret_version IS DISTINCT FROM NEW.secret_version OR OLD.scopes IS DISTINCT FROM NEW.scopes OR OLD.active IS DISTINCT FROM NEW.active',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['service_clients', 'users', 'auth_sessions']) {
      await q.query(`DROP TRIGGER ${table}_principal_gone ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_principal_changed ON ${table}`);
    }
    await q.query(`DROP FUNCTION principal_changes_notify()`);
  }
}
