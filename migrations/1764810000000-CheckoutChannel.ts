import type { MigrationInterface, QueryRunner } from 'typeorm';

const METHOD = 'DOKU_WALLET_CHECKOUT';

/**
 * The DOKU e-Wallet checkout as a payment channel (docs/channels.md#doku-e-wallet-checkout):
 * `DOKU_WALLET_CHECKOUT` becomes a known payment method, and a notification may be signed with the
 * checkout's own (non-SNAP) scheme.
 *
 * The payment-method check is rebuilt from the methods it lists when this runs, plus ours, instead
 * of from a fixed list: another channel added by a neighbouring migration keeps its method
 * whichever of the two runs first.
 */
export class CheckoutChannel1764810000000 implements MigrationInterface {
  name = 'CheckoutChannel1764810000000';

  async up(q: QueryRunner): Promise<void> {
    const methods = await currentMethods(q);
    await setMethods(q, methods.includes(METHOD) ? methods : [...methods, METHOD]);
    await q.query(`ALTER TABLE doku_notifications DROP CONSTRAINT doku_notifications_signature_kind_check`);
    await q.query(
      `ALTER TABLE doku_notifications ADD CONSTRAINT doku_notifications_signature_kind_check CHECK (signature_kind IN ('symmetric','asymmetric','checkout'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE doku_notifications DROP CONSTRAINT doku_notifications_signature_kind_check`);
    await q.query(
      `ALTER TABLE doku_notifications ADD CONSTRAINT doku_notifications_signature_kind_check CHECK (signature_kind IN ('symmetric','asymmetric'))`,
    );
    await setMethods(
      q,
      (await currentMethods(q)).filter((m) => m !== METHOD),
    );
  }
}

/** The methods the check lists now, in its order. */
async function currentMethods(q: QueryRunner): Promise<string[]> {
  const rows = (await q.query(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'transactions_payment_method_check' AND conrelid = 'transactions'::regclass`,
  )) as { def: string }[];
  const def = rows[0]?.def;
  if (def === undefined) throw new Error('transactions_payment_method_check is missing');
  return [...def.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
}

async function setMethods(q: QueryRunner, methods: string[]): Promise<void> {
  if (methods.length === 0 || methods.some((m) => !/^[A-Z_]+$/.test(m))) throw new Error(`unexpected payment methods ${methods.join(',')}`);
  await q.query(`ALTER TABLE transactions DROP CONSTRAINT transactions_payment_method_check`);
  await q.query(
    `ALTER TABLE transactions ADD CONSTRAINT transactions_payment_method_check CHECK (payment_method IN (${methods.map((m) => `'${m}'`).join(',')}))`,
  );
}
