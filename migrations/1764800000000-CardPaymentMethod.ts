import type { MigrationInterface, QueryRunner } from 'typeorm';

const CONSTRAINT = 'transactions_payment_method_check';

/** The payment methods the CHECK constraint allows now, read from the database itself. */
async function allowedMethods(q: QueryRunner): Promise<string[]> {
  const rows = (await q.query(
    `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
      WHERE c.conname = $1 AND c.conrelid = 'transactions'::regclass`,
    [CONSTRAINT],
  )) as { def: string }[];
  if (rows.length !== 1) throw new Error(`${CONSTRAINT} not found`);
  return [...rows[0].def.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
}

async function replaceCheck(q: QueryRunner, methods: string[]): Promise<void> {
  if (!methods.every((m) => /^[A-Z_]+$/.test(m))) throw new Error('unexpected payment method name');
  await q.query(`ALTER TABLE transactions DROP CONSTRAINT ${CONSTRAINT}`);
  await q.query(
    `ALTER TABLE transactions ADD CONSTRAINT ${CONSTRAINT} CHECK (payment_method IN (${methods.map((m) => `'${m}'`).join(',')}))`,
  );
}

/**
 * KKI card payments (docs/channels.md#kki-card-host-to-host) as a payment method: `CARD` on a
 * purchase and on each of its refunds. No card data gets a column: the card token, CPAN and OTP
 * are passed to DOKU once and kept nowhere.
 *
 * The constraint is read and extended rather than written out whole, so this migration adds `CARD`
 * to whatever methods other migrations have allowed, in any order, and its `down` removes only `CARD`.
 */
export class CardPaymentMethod1764800000000 implements MigrationInterface {
  name = 'CardPaymentMethod1764800000000';

  async up(q: QueryRunner): Promise<void> {
    const methods = await allowedMethods(q);
    if (!methods.includes('CARD')) await replaceCheck(q, [...methods, 'CARD']);
  }

  async down(q: QueryRunner): Promise<void> {
    // Refused by PostgreSQL while card transactions exist: they would violate the narrower check.
    await replaceCheck(
      q,
      (await allowedMethods(q)).filter((m) => m !== 'CARD'),
    );
  }
}
