import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { runCli } from '../src/cli/cli';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

const cliRunner = join(__dirname, 'support', 'cli-runner.js');

/** The real CLI process, as `npm run audit:verify` runs it: exit code and output. */
function runCliProcess(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliRunner, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The back office's audit trail on a real PostgreSQL: every back-office action is a row of an
 * append-only hash chain; audit:verify finds a row altered, deleted or inserted out of chain by
 * someone who got around the database's refusal (the superuser, here).
 */
describe('Audit trail of back-office actions (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let cliEnv: Record<string, string>;
  let admin: SignedInUser;
  let otherAdmin: SignedInUser;
  let support: SignedInUser;
  let finance: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    cliEnv = { NODE_ENV: 'test', DATABASE_URL: t.databaseUrl, AUDIT_OPERATOR: 'ops-alice' };
    admin = await registerUser(t, 'admin');
    otherAdmin = await registerUser(t, 'admin');
    support = await registerUser(t, 'support');
    finance = await registerUser(t, 'finance');
  });
  afterAll(async () => {
    await t.close();
  });

  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const audit = (query: string, who: SignedInUser = admin) => t.http().get(`/v1/admin/audit${query}`).set(auth(who));

  /** As the database superuser with triggers off: what someone getting around the refusal could do. */
  async function asSuperuser<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      await c.query(`SET session_replication_role = replica`);
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  it('records who, what, before/after with secrets masked, when and from where; admins read it with filters and pages', async () => {
    const started = new Date(Date.now() - 1000);
    const target = await registerUser(t);
    const roleChange = await t
      .http()
      .put(`/v1/admin/users/${target.id}/role`)
      .set(auth(admin))
      .set('user-agent', 'back-office-console/1.0')
      .send({ role: 'support' });
    expect(roleChange.status).toBe(200);
    expect(roleChange.body).toEqual({ userId: target.id, previousRole: 'user', role: 'support' });

    const created = await t
      .http()
      .post('/v1/admin/service-clients')
      .set(auth(admin))
      .send({ name: 'order service', scopes: ['purchases:write'] });
    expect(created.status).toBe(201);
    const rotated = await t.http().post(`/v1/admin/service-clients/${created.body.clientId}/rotate`).set(auth(admin)).send();
    expect(rotated.status).toBe(200);
    const revoked = await t.http().post(`/v1/admin/service-clients/${created.body.clientId}/revoke`).set(auth(admin)).send();
    expect(revoked.body).toEqual({ clientId: created.body.clientId, revoked: true });
    // A revoked client gets no token.
    const token = await t
      .http()
      .post('/v1/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: created.body.clientId, client_secret: rotated.body.clientSecret });
    expect(token.status).toBe(401);
    const unlock = await t.http().delete(`/v1/admin/users/${target.id}/sign-in-lock`).set(auth(support));
    expect(unlock.status).toBe(200);

    const roleRows = await audit(`?action=user.role-changed&targetId=${target.id}`);
    expect(roleRows.status).toBe(200);
    expect(roleRows.body.total).toBe(1);
    expect(roleRows.body.items[0]).toMatchObject({
      action: 'user.role-changed',
      actor: {
        kind: 'user',
        id: admin.id,
        role: 'admin',
        ip: '127.0.0.1',
        userAgent: 'back-office-console/1.0',
        requestId: expect.any(String),
      },
      targetType: 'user',
      targetId: target.id,
      before: { role: 'user' },
      after: { role: 'support' },
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(new Date(roleRows.body.items[0].occurredAt).getTime()).toBeGreaterThanOrEqual(started.getTime());

    const clientRows = await audit(`?targetType=service-client&targetId=${created.body.clientId}`);
    expect(clientRows.body.items.map((i: { action: string }) => i.action)).toEqual([
      'service-client.revoked',
      'service-client.rotated',
      'service-client.created',
    ]);
    const text = JSON.stringify(clientRows.body);
    expect(text).not.toContain(created.body.clientSecret);
    expect(text).not.toContain(rotated.body.clientSecret);
    expect(clientRows.body.items[2].after).toMatchObject({
      clientId: created.body.clientId,
      clientSecret: '[masked]',
      name: 'order service',
    });
    const stored = await db.query<Array<{ after: unknown }>>(`SELECT after FROM audit_log WHERE target_id = $1`, [created.body.clientId]);
    expect(JSON.stringify(stored)).not.toContain(created.body.clientSecret);

    const unlockRows = await audit(`?action=user.sign-in-lock-released&actorId=${support.id}`);
    expect(unlockRows.body.items).toHaveLength(1);
    expect(unlockRows.body.items[0].actor).toMatchObject({ id: support.id, role: 'support' });

    // Paging, newest first, and a time window.
    const page1 = await audit(`?pageSize=2&page=1&from=${started.toISOString()}`);
    const page2 = await audit(`?pageSize=2&page=2&from=${started.toISOString()}`);
    expect(page1.body.total).toBeGreaterThanOrEqual(5);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items[0].seq).toBeGreaterThan(page1.body.items[1].seq);
    expect(page2.body.items[0].seq).toBeLessThan(page1.body.items[1].seq);
    expect((await audit(`?to=${started.toISOString()}&action=user.role-changed&targetId=${target.id}`)).body.total).toBe(0);
    expect((await audit('?action=NOT VALID')).status).toBe(400);
    expect((await audit('?from=yesterday')).status).toBe(400);
  });

  it('only admins read the audit trail; roles match the work', async () => {
    expect((await audit('', support)).status).toBe(403);
    expect((await audit('', finance)).status).toBe(403);
    // Finance does not manage clients or roles; support does not refund, resolve or top up; admin moves no money.
    expect(
      (
        await t
          .http()
          .post('/v1/admin/service-clients')
          .set(auth(finance))
          .send({ name: 'x', scopes: ['wallets:read'] })
      ).status,
    ).toBe(403);
    expect((await t.http().put(`/v1/admin/users/${support.id}/role`).set(auth(finance)).send({ role: 'admin' })).status).toBe(403);
    expect((await t.http().put(`/v1/admin/users/${finance.id}/role`).set(auth(support)).send({ role: 'admin' })).status).toBe(403);
    for (const who of [support, admin]) {
      const refund = await t
        .http()
        .post(`/v1/admin/purchases/${randomUUID()}/refunds`)
        .set(auth(who))
        .set('idempotency-key', `k-${randomUUID()}`)
        .send({ amount: 1_000, reason: 'x' });
      expect(refund.status).toBe(403);
      const resolve = await t
        .http()
        .post(`/v1/admin/transactions/${randomUUID()}/resolution`)
        .set(auth(who))
        .send({ status: 'FAILED', reason: 'a long enough reason' });
      expect(resolve.status).toBe(403);
    }
    // Support resends webhook deliveries (an unknown one is 404, past the guard); finance cannot.
    expect((await t.http().post(`/v1/admin/webhook-deliveries/${randomUUID()}/redeliver`).set(auth(support)).send()).status).toBe(404);
    expect((await t.http().post(`/v1/admin/webhook-deliveries/${randomUUID()}/redeliver`).set(auth(finance)).send()).status).toBe(403);
    // An admin cannot change their own role; another admin can.
    const own = await t.http().put(`/v1/admin/users/${admin.id}/role`).set(auth(admin)).send({ role: 'finance' });
    expect([own.status, own.body.error.code]).toEqual([409, 'ADMIN.OWN_ROLE']);
    const demoted = await registerUser(t, 'finance');
    expect((await t.http().put(`/v1/admin/users/${demoted.id}/role`).set(auth(otherAdmin)).send({ role: 'user' })).status).toBe(200);
    // The change holds at once: the demoted person's token no longer reaches the back office.
    expect((await t.http().get('/v1/admin/users').set(auth(demoted))).status).toBe(403);
  });

  it('the CLI commands are audited as the operator', async () => {
    process.env.ADMIN_PASSWORD = 'a long admin password';
    const created = (await runCli(
      ['admin:create', '--email', `ops-${randomUUID()}@example.com`, '--name', 'Ops', '--phone', '6281299990001', '--role', 'support'],
      cliEnv,
    )) as { id: string };
    const client = (await runCli(['client:create', '--name', 'cli service', '--scopes', 'wallets:read'], cliEnv)) as {
      clientId: string;
      clientSecret: string;
    };
    await runCli(['client:rotate', '--client-id', client.clientId], cliEnv);
    await runCli(['client:return-url', '--client-id', client.clientId, '--return-url', 'none'], cliEnv);
    await runCli(['client:revoke', '--client-id', client.clientId], cliEnv);
    const rows = await db.query<Array<{ action: string; actor_kind: string; actor_id: string; after: Record<string, unknown> }>>(
      `SELECT action, actor_kind, actor_id, after FROM audit_log WHERE target_id IN ($1, $2) ORDER BY seq`,
      [created.id, client.clientId],
    );
    expect(rows.map((r) => [r.action, r.actor_kind, r.actor_id])).toEqual([
      ['user.created', 'cli', 'ops-alice'],
      ['service-client.created', 'cli', 'ops-alice'],
      ['service-client.rotated', 'cli', 'ops-alice'],
      ['service-client.return-url-set', 'cli', 'ops-alice'],
      ['service-client.revoked', 'cli', 'ops-alice'],
    ]);
    expect(rows[1].after.clientSecret).toBe('[masked]');
    // A new admin's email and phone stay out of rows that can never be erased.
    expect(rows[0].after).toEqual({ role: 'support' });
  });

  it('the database refuses to change or remove audit rows, or to move the chain head', async () => {
    await t.http().put(`/v1/admin/users/${finance.id}/role`).set(auth(admin)).send({ role: 'finance' });
    await expect(db.query(`UPDATE audit_log SET action = 'nothing' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_log WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE audit_chain_head SET seq = seq - 1`)).rejects.toThrow(/only moves forward/);
    await expect(db.query(`DELETE FROM audit_chain_head`)).rejects.toThrow(/only moves forward/);
    await expect(
      db.query(
        `INSERT INTO audit_log (seq, occurred_at, actor_kind, action, target_type, prev_hash, hash) VALUES (999999, now(), 'cli', 'x', 'x', repeat('0', 64), repeat('1', 64))`,
      ),
    ).rejects.toThrow(/continue the chain/);
  });

  it('two admins acting at once never fork the chain', async () => {
    const people = await Promise.all(Array.from({ length: 6 }, () => registerUser(t)));
    const changes = await Promise.all(
      people.flatMap((p, i) => [
        t
          .http()
          .put(`/v1/admin/users/${p.id}/role`)
          .set(auth(i % 2 ? admin : otherAdmin))
          .send({ role: 'support' }),
        t
          .http()
          .put(`/v1/admin/users/${p.id}/role`)
          .set(auth(i % 2 ? otherAdmin : admin))
          .send({ role: 'finance' }),
      ]),
    );
    expect(changes.every((c) => c.status === 200)).toBe(true);
    const seqs = await db.query<Array<{ seq: string }>>(`SELECT seq FROM audit_log ORDER BY seq`);
    expect(seqs.map((r) => Number(r.seq))).toEqual(seqs.map((_, i) => i + 1));
    expect(await runCli(['audit:verify'], cliEnv)).toEqual({ verified: true, rows: seqs.length, head: seqs.length });
  });

  it('audit:verify passes an untouched chain and fails, naming the first broken row, on an altered, deleted or foreign row', async () => {
    // Enough rows to alter one in the middle.
    for (let i = 0; i < 3; i++) await t.http().put(`/v1/admin/users/${support.id}/role`).set(auth(admin)).send({ role: 'support' });
    const ok = await runCliProcess(['audit:verify'], cliEnv);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { verified: boolean; rows: number; head: number };
    expect(report.verified).toBe(true);
    const total = report.rows;
    expect(total).toBeGreaterThanOrEqual(5);
    const middle = Math.floor(total / 2);

    // Altered: a row's content changed, its hash left alone.
    const [original] = await db.query<Array<{ after: unknown }>>(`SELECT after FROM audit_log WHERE seq = $1`, [middle]);
    await asSuperuser((c) => c.query(`UPDATE audit_log SET after = '{"role":"admin"}'::jsonb WHERE seq = $1`, [middle]));
    const altered = await runCliProcess(['audit:verify'], cliEnv);
    expect(altered.code).not.toBe(0);
    expect(altered.stderr).toContain(`broken at row ${middle}: ROW_ALTERED`);
    await expect(runCli(['audit:verify'], cliEnv)).rejects.toThrow(`broken at row ${middle}: ROW_ALTERED`);

    // Altered with its hash recomputed by hand: the next row no longer links to it.
    await asSuperuser((c) => c.query(`UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = $1`, [middle]));
    await expect(runCli(['audit:verify'], cliEnv)).rejects.toThrow(`broken at row ${middle}: ROW_ALTERED`);
    await asSuperuser(async (c) => {
      await c.query(`UPDATE audit_log SET after = $2::jsonb WHERE seq = $1`, [middle, JSON.stringify(original.after)]);
    });
    // Restoring the content but not the hash still leaves the chain broken at that row.
    await expect(runCli(['audit:verify'], cliEnv)).rejects.toThrow(`broken at row ${middle}`);
    const [{ hash: nextPrev }] = await db.query<Array<{ hash: string }>>(`SELECT prev_hash AS hash FROM audit_log WHERE seq = $1`, [
      middle + 1,
    ]);
    await asSuperuser((c) => c.query(`UPDATE audit_log SET hash = $2 WHERE seq = $1`, [middle, nextPrev]));
    expect(await runCli(['audit:verify'], cliEnv)).toMatchObject({ verified: true, rows: total });

    // Deleted: a row in the middle, then the last row.
    const [saved] = await db.query<Array<Record<string, unknown>>>(`SELECT * FROM audit_log WHERE seq = $1`, [middle]);
    await asSuperuser((c) => c.query(`DELETE FROM audit_log WHERE seq = $1`, [middle]));
    const deleted = await runCliProcess(['audit:verify'], cliEnv);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain(`broken at row ${middle}: ROW_MISSING`);
    const columns = Object.keys(saved);
    await asSuperuser((c) =>
      c.query(
        `INSERT INTO audit_log (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((k) => (k === 'before' || k === 'after' ? JSON.stringify(saved[k]) : saved[k])),
      ),
    );
    expect(await runCli(['audit:verify'], cliEnv)).toMatchObject({ verified: true });
    await asSuperuser((c) => c.query(`DELETE FROM audit_log WHERE seq = $1`, [total]));
    await expect(runCli(['audit:verify'], cliEnv)).rejects.toThrow(`broken at row ${total}: ROW_MISSING`);
  });

  it('audit:verify fails on a row inserted out of chain', async () => {
    const fresh = await startTestApp();
    try {
      const env = { NODE_ENV: 'test', DATABASE_URL: fresh.databaseUrl, AUDIT_OPERATOR: 'ops-bob' };
      for (const name of ['a', 'b', 'c']) await runCli(['client:create', '--name', name, '--scopes', 'wallets:read'], env);
      expect(await runCli(['audit:verify'], env)).toMatchObject({ verified: true, rows: 3 });
      const c = new Client({ connectionString: fresh.databaseUrl });
      await c.connect();
      try {
        await c.query(`SET session_replication_role = replica`);
        // A forged row appended after the head, linked to nothing real.
        await c.query(
          `INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, action, target_type, target_id, prev_hash, hash)
           VALUES (4, now(), 'user', 'forger', 'user.role-changed', 'user', 'x', repeat('0', 64), repeat('f', 64))`,
        );
      } finally {
        await c.end();
      }
      const forged = await runCliProcess(['audit:verify'], env);
      expect(forged.code).not.toBe(0);
      expect(forged.stderr).toContain('broken at row 4: LINK_BROKEN');
    } finally {
      await fresh.close();
    }
  });
});
