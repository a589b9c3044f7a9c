import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A binding's real outcome (docs/customer-pages.md#binding-and-registration-states): the customer
 * pressing Cancel on DOKU's consent page is its own state, CANCELLED, and a FAILED binding says why
 * in `failure_reason`. A registration's failure reason already has its column (`failure_code`).
 */
export class BindingOutcomes1764720000000 implements MigrationInterface {
  name = 'BindingOutcomes1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE wallet_bindings DROP CONSTRAINT wallet_bindings_status_check`);
    await q.query(
      `ALTER TABLE wallet_bindings ADD CONSTRAINT wallet_bindings_status_check CHECK (status IN ('PENDING','ACTIVE','UNBINDING','UNBOUND','FAILED','CANCELLED'))`,
    );
    await q.query(`ALTER TABLE wallet_bindings ADD COLUMN failure_reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE wallet_bindings DROP COLUMN failure_reason`);
    await q.query(`UPDATE wallet_bindings SET status = 'FAILED' WHERE status = 'CANCELLED'`);
    await q.query(`ALTER TABLE wallet_bindings DROP CONSTRAINT wallet_bindings_status_check`);
    await q.query(
      `ALTER TABLE wallet_bindings ADD CONSTRAINT wallet_bindings_status_check CHECK (status IN ('PENDING','ACTIVE','UNBINDING','UNBOUND','FAILED'))`,
    );
  }
}
