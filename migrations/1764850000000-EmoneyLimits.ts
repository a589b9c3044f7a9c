import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * E-money limits (docs/limits.md). `limit_counters` holds, per user, what our own ledger has
 * counted against each limit in each period (a day, an hour, a month in Asia/Jakarta, or the
 * top-ups DOKU's balance may not show yet); a reservation adds to a counter with a conditional upsert that
 * re-checks the limit on the latest row version, so concurrent operations cannot cross it together.
 * `limit_reservations` says what each transaction added, so that what a failed or canceled
 * transaction reserved goes back: the trigger on `transactions` does it in the statement that
 * settles the transaction, whichever code path settles it. `limit_account_levels` is the Bank
 * Indonesia level of a user's e-money account, when the partner has set it.
 */
export class EmoneyLimits1764850000000 implements MigrationInterface {
  name = 'EmoneyLimits1764850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE limit_counters (
        user_id uuid NOT NULL,
        counter text NOT NULL,
        period text NOT NULL,
        amount bigint NOT NULL DEFAULT 0,
        count integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, counter, period)
      )`);
    await q.query(`
      CREATE TABLE limit_reservations (
        transaction_id uuid NOT NULL,
        user_id uuid NOT NULL,
        counter text NOT NULL,
        period text NOT NULL,
        amount bigint NOT NULL,
        settled_at timestamptz,
        released_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (transaction_id, counter, period)
      )`);
    await q.query(`CREATE INDEX limit_reservations_open ON limit_reservations (user_id, counter) WHERE released_at IS NULL`);
    await q.query(`
      CREATE TABLE limit_account_levels (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        level text NOT NULL CHECK (level IN ('UNREGISTERED', 'REGISTERED')),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Raised inside a purchase's one commit-1 statement when a counter refused: the whole
    // statement (the key claim, the purchase, the counters before it) is undone.
    await q.query(`
      CREATE FUNCTION limit_refused(which integer) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RAISE EXCEPTION 'e-money limit % refused', which USING ERRCODE = 'LM001';
      END $$`);
    // What a transaction reserved goes back when it fails or is canceled. A top-up that succeeds
    // keeps its pending incoming amount until the next top-up of the user reads DOKU's balance
    // after it (docs/limits.md#the-balance): until then it is only stamped settled. Counters are
    // taken in the same order as reservations take them (by name), so the two never deadlock.
    await q.query(`
      CREATE FUNCTION limit_release() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE r record;
      BEGIN
        IF NEW.status = 'SUCCESS' THEN
          UPDATE limit_reservations SET settled_at = now()
           WHERE transaction_id = NEW.id AND counter LIKE 'pending:%' AND settled_at IS NULL;
          RETURN NULL;
        END IF;
        FOR r IN
          SELECT counter, period, amount FROM limit_reservations
           WHERE transaction_id = NEW.id AND released_at IS NULL
           ORDER BY counter, period
        LOOP
          UPDATE limit_counters SET amount = amount - r.amount, updated_at = now()
           WHERE user_id = NEW.user_id AND counter = r.counter AND period = r.period;
          UPDATE limit_reservations SET released_at = now()
           WHERE transaction_id = NEW.id AND counter = r.counter AND period = r.period;
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER transactions_limit_release AFTER UPDATE OF status ON transactions FOR EACH ROW
        WHEN (NEW.status IS DISTINCT FROM OLD.status
              AND (NEW.status IN ('FAILED', 'CANCELED') OR (NEW.type = 'TOP_UP' AND NEW.status = 'SUCCESS')))
        EXECUTE FUNCTION limit_release()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER transactions_limit_release ON transactions`);
    await q.query(`DROP FUNCTION limit_release()`);
    await q.query(`DROP FUNCTION limit_refused(integer)`);
    await q.query(`DROP TABLE limit_account_levels`);
    await q.query(`DROP TABLE limit_reservations`);
    await q.query(`DROP TABLE limit_counters`);
  }
}
