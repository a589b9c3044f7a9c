import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './actors';
import type { TestApp } from './test-app';

/**
 * One purchase for a load test: created through the API (a fresh Idempotency-Key), then its
 * partnerReferenceNo read back so the test can have DOKU's simulator pay it. A refusal is pushed
 * onto `failures` and gives undefined.
 */
export async function createPurchaseToPay(
  t: TestApp,
  user: SignedInUser,
  failures: string[],
  amount = 10_000,
): Promise<{ id: string; ref: string } | undefined> {
  const res = await t
    .http()
    .post('/v1/purchases')
    .set('authorization', `Bearer ${user.accessToken}`)
    .set('idempotency-key', `k-${randomUUID()}`)
    .send({ amount });
  if (res.status !== 201) {
    failures.push(`purchase: ${res.status} ${JSON.stringify(res.body)}`);
    return undefined;
  }
  const [row] = await t.app
    .get(DataSource)
    .query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [res.body.id]);
  return { id: res.body.id as string, ref: row.partner_reference_no };
}
