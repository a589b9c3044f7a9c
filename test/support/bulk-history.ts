/**
 * A business's history seeded in bulk by SQL (docs/performance.md#plans-that-stay-flat-as-the-data-grows):
 * users with their (unbound) wallets, finished purchases with their history events, the
 * Idempotency-Keys that made them, and their DOKU exchange records. Used by the query-plan test
 * (10^5 rows per table) and by the bench's growth mode (10^4 to 10^6 existing transactions).
 *
 * Each call seeds one batch named by `tag` (unique per call): its own users, and purchases spread
 * over them. `firstIndex` numbers the batch's rows after those of earlier batches of one run, so
 * that phone numbers and DOKU external ids stay unique across batches.
 */
export interface SqlRunner {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

export interface HistoryBatch {
  /** Unique per batch: letters and digits only. */
  tag: string;
  users: number;
  transactions: number;
  /** How many users and transactions earlier batches of the same run seeded (default 0). */
  firstIndex?: { users: number; transactions: number };
  /** false leaves the planner's statistics as they were: tables that grew since autoanalyze last ran (default true). */
  analyze?: boolean;
}

export async function seedHistory(db: SqlRunner, batch: HistoryBatch): Promise<void> {
  const { tag, users, transactions } = batch;
  if (!/^[A-Za-z0-9]+$/.test(tag)) throw new Error(`seedHistory: tag must be letters and digits, got ${tag}`);
  const firstUser = batch.firstIndex?.users ?? 0;
  const firstTransaction = batch.firstIndex?.transactions ?? 0;
  // Two digits of the tag in every phone number, so batches of separate runs rarely meet.
  const digits = tag
    .replace(/[^0-9]/g, '')
    .padEnd(2, '0')
    .slice(0, 2);
  await db.query(
    `INSERT INTO users (name, email, phone, password_hash, role)
     SELECT 'Seed ' || i, 'seed-${tag}-' || i || '@example.com', '+6289${digits}' || lpad(i::text, 8, '0'), 'x', 'user'
       FROM generate_series($1::int + 1, $1::int + $2::int) AS i`,
    [firstUser, users],
  );
  await db.query(
    `INSERT INTO wallets (user_id, status) SELECT id, 'NONE' FROM users WHERE email LIKE 'seed-${tag}-%' ON CONFLICT (user_id) DO NOTHING`,
  );
  await db.query(
    `WITH u AS (SELECT id, row_number() OVER () AS n FROM users WHERE email LIKE 'seed-${tag}-%')
     INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, details, initiator_kind, initiator_id, doku_reference_no, created_at)
     SELECT u.id, 'PURCHASE', CASE WHEN g % 7 = 0 THEN 'FAILED' ELSE 'SUCCESS' END, 1000 + g, 'PUR-seed${tag}-' || g, '{}'::jsonb, 'user', u.id::text,
            'DOKU${tag}' || g, now() - (g || ' seconds')::interval
       FROM generate_series(1, $1::int) AS g JOIN u ON u.n = 1 + g % $2::int`,
    [transactions, users],
  );
  await db.query(
    `INSERT INTO transaction_events (transaction_id, from_status, to_status, cause, details)
     SELECT id, 'PENDING', status, 'doku-response', '{}'::jsonb FROM transactions WHERE partner_reference_no LIKE 'PUR-seed${tag}-%'`,
  );
  await db.query(
    `INSERT INTO idempotency_keys (scope, key, fingerprint, status, response_status, response_body, transaction_id, completed_at)
     SELECT 'user:' || user_id, 'seed-' || partner_reference_no, 'f', 'COMPLETED', 201, '{}'::jsonb, id, now()
       FROM transactions WHERE partner_reference_no LIKE 'PUR-seed${tag}-%'`,
  );
  await db.query(
    `INSERT INTO doku_exchanges (endpoint, method, path, external_id, partner_reference, attempt, http_status, response_code, outcome, replayed, duration_ms, started_at)
     SELECT 'purchaseWeb', 'POST', '/p', (900000000 + $2::bigint + g)::text, 'PUR-seed${tag}-' || g, 1, 200, '2005400', 'SUCCESS', false, 50, now()
       FROM generate_series(1, $1::int) AS g`,
    [transactions, firstTransaction],
  );
  if (batch.analyze !== false) await db.query(`ANALYZE`);
}
