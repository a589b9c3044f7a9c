import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A service client's own app return link (docs/customer-pages.md#back-to-the-app): the customer
 * pages of the purchases it creates lead there instead of the partner's APP_RETURN_URL. Checked by
 * the application when it is set (a deep link or an https universal link).
 */
export class ServiceClientReturnUrl1764710000000 implements MigrationInterface {
  name = 'ServiceClientReturnUrl1764710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_clients ADD COLUMN app_return_url text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_clients DROP COLUMN app_return_url`);
  }
}
