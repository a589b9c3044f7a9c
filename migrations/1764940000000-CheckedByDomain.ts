import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The closed sets a purchase writes (a transaction's type, status, currency, initiator and payment
 * method; an Idempotency-Key's status; a history row's cause; a DOKU exchange's method, X-EXTERNAL-ID
 * and outcome) are checked by a domain on the column instead of a CHECK on the table. The rule is
 * the same, with the same constraint name; what changes is its cost. PostgreSQL reads a table's
 * CHECK constraints from their stored text and compiles them again for every statement that writes
 * the table, an UPDATE that leaves the checked columns alone included; a domain's check is read and
 * planned once per connection and kept with the type, and a statement sets it up and runs it only
 * for the columns it assigns. On a purchase the table checks were 7% of PostgreSQL's CPU by profile
 * (docs/performance.md, seventeenth round).
 *
 * No table is rewritten: each domain starts bare, so a column changes to it without its rows being
 * rewritten, and gets its check afterwards, NOT VALID, so no table is scanned to validate it: every
 * row was held to the same check by the table's constraint until this statement. The indexes on the
 * changed columns are kept as they are, except the two partial indexes whose condition names one
 * (`transactions_unresolved_idx`, `idempotency_keys_in_progress_idx`): PostgreSQL builds them again,
 * which reads `transactions` and `idempotency_keys` once while the migration holds their locks
 * (a few seconds per million rows; plan the deploy accordingly). The checks
 * are moved as the database has them (a channel's migration may have widened the payment methods).
 * The limit-release trigger names `status` and `type` in its condition and is recreated around the
 * change, as PostgreSQL requires. A later migration that widens a set alters the domain
 * (docs/ARCHITECTURE.md#adding-a-payment-channel).
 */
export const CHECKED_BY_DOMAIN: ReadonlyArray<{ table: string; column: string; constraint: string; domain: string }> = [
  { table: 'transactions', column: 'type', constraint: 'transactions_type_check', domain: 'transaction_type' },
  { table: 'transactions', column: 'status', constraint: 'transactions_status_check', domain: 'transaction_status' },
  { table: 'transactions', column: 'currency', constraint: 'transactions_currency_check', domain: 'currency_code' },
  { table: 'transactions', column: 'initiator_kind', constraint: 'transactions_initiator_kind_check', domain: 'initiator_kind' },
  { table: 'transactions', column: 'payment_method', constraint: 'transactions_payment_method_check', domain: 'payment_method' },
  { table: 'idempotency_keys', column: 'status', constraint: 'idempotency_keys_status_check', domain: 'idempotency_key_status' },
  { table: 'transaction_events', column: 'cause', constraint: 'transaction_events_cause_check', domain: 'transition_cause' },
  { table: 'doku_exchanges', column: 'method', constraint: 'doku_exchanges_method_check', domain: 'doku_exchange_method' },
  { table: 'doku_exchanges', column: 'external_id', constraint: 'doku_exchanges_external_id_check', domain: 'doku_external_id' },
  { table: 'doku_exchanges', column: 'outcome', constraint: 'doku_exchanges_outcome_check', domain: 'doku_exchange_outcome' },
];

const LIMIT_RELEASE_TRIGGER = `CREATE TRIGGER transactions_limit_release AFTER UPDATE OF status ON transactions FOR EACH ROW
  WHEN (NEW.status IS DISTINCT FROM OLD.status
        AND (NEW.status IN ('FAILED', 'CANCELED') OR (NEW.type = 'TOP_UP' AND NEW.status = 'SUCCESS')))
  EXECUTE FUNCTION limit_release()`;

export class CheckedByDomain1764940000000 implements MigrationInterface {
  name = 'CheckedByDomain1764940000000';

  async up(q: QueryRunner): Promise<void> {
    const rules: string[] = [];
    for (const c of CHECKED_BY_DOMAIN)
      rules.push(valueRule(c.column, await constraintDef(q, `conrelid = '${c.table}'::regclass`, c.constraint)));
    await q.query(`DROP TRIGGER transactions_limit_release ON transactions`);
    for (const [i, c] of CHECKED_BY_DOMAIN.entries()) {
      await q.query(`CREATE DOMAIN ${c.domain} AS text`);
      await q.query(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.constraint}, ALTER COLUMN ${c.column} TYPE ${c.domain}`);
      await q.query(`ALTER DOMAIN ${c.domain} ADD CONSTRAINT ${c.constraint} CHECK (${rules[i]}) NOT VALID`);
    }
    await q.query(LIMIT_RELEASE_TRIGGER);
  }

  async down(q: QueryRunner): Promise<void> {
    const rules: string[] = [];
    for (const c of CHECKED_BY_DOMAIN)
      rules.push(columnRule(c.column, await constraintDef(q, `contypid = '${c.domain}'::regtype`, c.constraint)));
    await q.query(`DROP TRIGGER transactions_limit_release ON transactions`);
    for (const [i, c] of CHECKED_BY_DOMAIN.entries()) {
      await q.query(`ALTER TABLE ${c.table} ALTER COLUMN ${c.column} TYPE text`);
      await q.query(`DROP DOMAIN ${c.domain}`);
      // The history's cause check was NOT VALID on the table (migration TransitionCauseCheck); the others were validated.
      const notValid = c.constraint === 'transaction_events_cause_check' ? ' NOT VALID' : '';
      await q.query(`ALTER TABLE ${c.table} ADD CONSTRAINT ${c.constraint} CHECK (${rules[i]})${notValid}`);
    }
    await q.query(LIMIT_RELEASE_TRIGGER);
  }
}

/** The condition of one CHECK constraint as PostgreSQL prints it, without `CHECK (...)` and `NOT VALID`. */
async function constraintDef(q: QueryRunner, owner: string, name: string): Promise<string> {
  const rows = (await q.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1 AND ${owner}`, [
    name,
  ])) as Array<{
    def: string;
  }>;
  const def = rows[0]?.def;
  const body = def ? /^CHECK \((.*)\)( NOT VALID)?$/s.exec(def)?.[1] : undefined;
  if (body === undefined) throw new Error(`${name} is missing or not a CHECK constraint (${def ?? 'absent'})`);
  return body;
}

/** A table check on one column (`(status = ANY (...))`) as the domain's (`(VALUE = ANY (...))`). */
function valueRule(column: string, body: string): string {
  const rule = body.replace(new RegExp(`^\\(${column} `), '(VALUE ');
  if (rule === body || new RegExp(`\\b${column}\\b`).test(rule.replace(/'[^']*'/g, ''))) {
    throw new Error(`cannot move the check on ${column} to a domain: ${body}`);
  }
  return rule;
}

/** The reverse of valueRule. */
function columnRule(column: string, body: string): string {
  const rule = body.replace(/^\(VALUE /, `(${column} `);
  if (rule === body) throw new Error(`cannot move the domain check back to ${column}: ${body}`);
  return rule;
}
