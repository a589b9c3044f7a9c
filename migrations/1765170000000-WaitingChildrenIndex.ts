import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refund or cancel of a purchase still waiting for DOKU's answer, found by its purchase with one
 * index probe (docs/performance.md, twenty-eighth round). The notification intake function keeps one
 * plan per connection, made whatever the table's size at the time; made on an empty `transactions`,
 * its check "does anything of this purchase still wait" read the whole of the reconciler's index of
 * unresolved transactions with a filter on the purchase, once per notification, where this index
 * answers it by key. It holds only unresolved children (a purchase has no parent), so a purchase's
 * commits never write it.
 */
export class WaitingChildrenIndex1765170000000 implements MigrationInterface {
  name = 'WaitingChildrenIndex1765170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX transactions_waiting_children_idx ON transactions (parent_id) WHERE status IN ('PENDING','UNKNOWN') AND parent_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX transactions_waiting_children_idx`);
  }
}
