import { writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TEST_BANK_ACCOUNTS } from '../../simulator/src';
import { ServiceClientsService } from '../../src/clients/service-clients.service';
import { approveConsent, createBoundWallet, createPinOnPage } from '../support/wallet-fixtures';
import { uniquePhone } from '../support/actors';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import { announce, Barrier, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { invariantViolations, reconcile, reconciliationFigures } from './support/reconcile';

/**
 * R8 (docs/reliability.md): canary values unique to the run — the DOKU client secret, private key,
 * auth-code key and token-encryption key, the JWT secret, passwords, OTPs and PINs, a bank account
 * number, every DOKU token the simulator issued — pushed through a representative run (R1-like
 * concurrent purchases, payments, refunds, transfers, top-ups, onboarding with OTPs, binding,
 * unbinding, R6-like bad input carrying canaries, R7-like cross-user reads) with LOG_LEVEL=debug.
 * Pass: 0 occurrences in the app's logs, stdout/stderr, stored DOKU exchange records, any table
 * (every column as text) and the responses (where each kind of value may not be; see `where`).
 */
const TEST = 'R8';
const KEYS = sized(6, 40);
const CONCURRENT = sized(5, 20);

jest.setTimeout(sized(120_000, 600_000));

type Place = 'logs' | 'stdio' | 'exchanges' | 'tables' | 'responses';
interface Canary {
  kind: string;
  value: string;
  /** Where the value must never appear. */
  where: Place[];
  /** Short numeric values (OTP, PIN) only count as a whole token, not inside a longer number or a timestamp. */
  numeric?: boolean;
}
const EVERYWHERE: Place[] = ['logs', 'stdio', 'exchanges', 'tables', 'responses'];

describe('R8: canaries never reach logs, stored exchanges, tables or responses', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  const logLines: string[] = [];
  const stdio: string[] = [];
  const responses: Array<{ what: string; text: string }> = [];
  const canaries: Canary[] = [];
  const canary = (kind: string, value: string, where: Place[] = EVERYWHERE, numeric = false) => {
    canaries.push({ kind, value, where, numeric });
    return value;
  };

  // Secrets of the partner, unique to this run (derived from the seed, so a replay has the same).
  const clientId = `BRN-R8-${rng.digits(13)}`;
  const clientSecret = canary('doku client secret', `SK-canary-${rng.hex(32)}`);
  const tokenKeyBytes = Buffer.from(rng.hex(64), 'hex');
  const tokenEncryptionKey = canary('token encryption key (base64)', tokenKeyBytes.toString('base64'));
  canary('token encryption key (hex)', tokenKeyBytes.toString('hex'));
  const authCodeKey = canary('auth code key', `ack${rng.hex(29)}`);
  const jwtKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  for (const line of jwtKey.split('\n').slice(1, 3)) canary('access-token signing key (PEM line)', line);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  for (const line of privatePem.split('\n').slice(2, 6)) canary('doku private key (PEM line)', line);
  const pin = canary('doku PIN', `9${rng.digits(5)}`, EVERYWHERE, true);
  const bankAccount = canary('bank account number', `7${rng.digits(13)}`);
  const passwords = Array.from({ length: 6 }, (_, i) => canary('password', `pw-canary-${i}-${rng.hex(16)}`));
  const wrongPassword = canary('password (wrong attempt)', `pw-wrong-${rng.hex(16)}`);

  let env: ReliabilityEnv;
  let db: DataSource;
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    (TEST_BANK_ACCOUNTS as Array<(typeof TEST_BANK_ACCOUNTS)[number]>).push({
      bankCode: '014',
      bankShortName: 'BCA',
      bankName: 'BANK CENTRAL ASIA',
      accountNumber: bankAccount,
      accountName: 'CANARY HOLDER',
    });
    env = await startReliabilityEnv({
      sim: {
        seed: `${RELIABILITY_SEED}:${TEST}`,
        partners: [{ clientId, clientSecret, partnerPublicKeyPem: publicPem, authCodeKey }],
      },
      env: {
        LOG_LEVEL: 'debug',
        DOKU_CLIENT_ID: clientId,
        DOKU_CLIENT_SECRET: clientSecret,
        DOKU_PRIVATE_KEY: privatePem,
        DOKU_AUTH_CODE_KEY: authCodeKey,
        DOKU_TOKEN_ENCRYPTION_KEY: tokenEncryptionKey,
        JWT_SIGNING_KEYS: jwtKey,
      },
      envFromSim: (sim) => ({ DOKU_PUBLIC_KEY: sim.dokuPublicKeyPem }),
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
    db = env.t.app.get(DataSource);
    env.sim.control.setNotification(clientId, { enabled: true, baseUrl: env.t.url, timeScale: 0.001 });
    env.http.observe((method, path, res) =>
      responses.push({ what: `${method} ${path} -> ${res.status}`, text: JSON.stringify(res.headers) + res.text }),
    );
  });
  afterAll(async () => {
    process.stdout.write = originalStdout;
    process.stderr.write = originalStderr;
    await env?.close();
    const list = TEST_BANK_ACCOUNTS as Array<(typeof TEST_BANK_ACCOUNTS)[number]>;
    list.splice(
      list.findIndex((b) => b.accountNumber === bankAccount),
      1,
    );
  });

  const must = (r: RawResponse, status: number | number[], what: string) => {
    if (!([] as number[]).concat(status).includes(r.status)) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.json;
  };
  const key = () => `r8-${rng.hex(24)}`;
  /** A user through the API, with a canary password, signed in again with it. */
  async function signUp(i: number): Promise<{ id: string; token: string; refresh: string; email: string; phone: string }> {
    const email = `r8-${i}-${rng.hex(8)}@example.com`;
    const phone = uniquePhone();
    must(await env.http.post('/v1/auth/register', { name: `Canary User ${i}`, email, phone, password: passwords[i] }), 202, 'register');
    must(await env.http.post('/v1/auth/login', { email, password: wrongPassword }), 401, 'wrong password');
    const login = must(await env.http.post('/v1/auth/login', { email, password: passwords[i] }), 200, 'login');
    const me = must(await env.http.get('/v1/me', login.accessToken), 200, 'me');
    return { id: me.id, token: login.accessToken, refresh: login.refreshToken, email, phone };
  }
  const asSigned = (u: { id: string; token: string; email: string }) => ({
    id: u.id,
    email: u.email,
    password: '',
    accessToken: u.token,
    refreshToken: '',
  });
  /** Follows a redirect back to the app through the observed client. */
  const followToApp = async (url: string) => {
    const u = new URL(url);
    return env.http.get(`${u.pathname}${u.search}`);
  };

  it('a representative run leaves no canary anywhere', async () => {
    const t0 = Date.now();
    const proof = new Tally();
    // Everything the process writes from here on is scanned too.
    process.stdout.write = (chunk: unknown, ...rest: unknown[]) => {
      stdio.push(String(chunk));
      return (originalStdout as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    process.stderr.write = (chunk: unknown, ...rest: unknown[]) => {
      stdio.push(String(chunk));
      return (originalStderr as (...a: unknown[]) => boolean)(chunk, ...rest);
    };

    // Users and a service client (its secret is a canary as well).
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await signUp(i));
    const [a, b, r] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    const refreshed = must(await env.http.post('/v1/auth/refresh', { refreshToken: users[3].refresh }), 200, 'refresh');
    canary('our refresh token (rotated out)', users[3].refresh, ['logs', 'stdio', 'exchanges', 'tables']);
    canary('our refresh token', refreshed.refreshToken, ['logs', 'stdio', 'exchanges', 'tables']);
    const created = await env.t.app
      .get(ServiceClientsService)
      .create('r8 service', ['purchases:write', 'topups:write', 'refunds:write', 'wallets:read']);
    canary('service client secret', created.clientSecret);
    const svc = must(
      await env.http.send('POST', '/v1/oauth/token', {
        body: `grant_type=client_credentials&client_id=${created.clientId}&client_secret=${encodeURIComponent(created.clientSecret)}`,
        contentType: 'application/x-www-form-urlencoded',
      }),
      200,
      'client token',
    ).access_token as string;
    must(
      await env.http.send('POST', '/v1/oauth/token', {
        body: `grant_type=client_credentials&client_id=${created.clientId}&client_secret=${encodeURIComponent(wrongPassword)}`,
        contentType: 'application/x-www-form-urlencoded',
      }),
      401,
      'wrong client secret',
    );
    proof.add('passwordsUsed', 8);

    // Onboarding through the API: registration, OTP (a wrong one first), PIN page, binding consent.
    const reg = must(await env.http.post('/v1/wallet/registrations', {}, r.token), 201, 'registration');
    const otp = env.sim.control.lastOtp(r.phone).otp;
    canary('OTP (registration)', otp, EVERYWHERE, true);
    const wrongOtp = otp === '000000' ? '111111' : '000000';
    must(await env.http.post(`/v1/wallet/registrations/${reg.id}/otp`, { otp: wrongOtp }, r.token), 422, 'wrong OTP');
    const verified = must(await env.http.post(`/v1/wallet/registrations/${reg.id}/otp`, { otp }, r.token), 200, 'verify OTP');
    proof.add('otpsUsed');
    must(await followToApp(await createPinOnPage(verified.pinPageUrl, pin)), 200, 'registration callback');
    const bind = must(await env.http.post('/v1/wallet/binding', {}, r.token), 201, 'binding');
    must(await followToApp(await approveConsent(bind.nextAction, pin)), 200, 'binding callback');
    proof.add('pinsUsed', 2);
    const rAccount = (
      await db.query<Array<{ doku_account_id: string }>>(`SELECT doku_account_id FROM wallets WHERE user_id = $1`, [r.id])
    )[0].doku_account_id;
    env.sim.control.updateAccount(rAccount, { balance: '5000000.00' });

    // Two more wallets the quick way (REST binding + consent page with the canary PIN).
    for (const u of [a, b]) await createBoundWallet(env, asSigned(u), { balance: 5_000_000, pin });

    // R1-like: concurrent identical purchases per key, then paid, some refunded by the service.
    const buyers = [a, b, r];
    const plans = Array.from({ length: KEYS }, (_, i) => ({
      k: key(),
      u: buyers[i % buyers.length],
      body: { amount: rng.int(10_000, 99_999), description: `R8 ${i}` },
    }));
    const barrier = new Barrier(KEYS * CONCURRENT);
    const answers = await Promise.all(
      plans.flatMap((p) =>
        Array.from({ length: CONCURRENT }, async () => {
          await barrier.arrive();
          return { p, res: await env.http.post('/v1/purchases', p.body, p.u.token, p.k) };
        }),
      ),
    );
    const purchaseOf = new Map<string, { id: string; u: (typeof users)[0] }>();
    for (const { p, res } of answers) if (res.status === 201) purchaseOf.set(p.k, { id: res.json.id, u: p.u });
    expect(answers.filter((x) => !purchaseOf.has(x.p.k)).map((x) => `${x.res.status} ${x.res.text.slice(0, 200)}`)).toEqual([]);
    await mapLimit([...purchaseOf.values()], 8, async ({ id, u }) => {
      const ref = (
        await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id])
      )[0];
      env.sim.control.pay({ partnerReferenceNo: ref.partner_reference_no, pin });
      must(await env.http.get(`/v1/purchases/${id}`, u.token), 200, 'purchase status');
    });
    for (const { id, u } of [...purchaseOf.values()].slice(0, Math.ceil(KEYS / 3))) {
      must(
        await env.http.post(`/v1/users/${u.id}/purchases/${id}/refunds`, { amount: 1_000, reason: 'R8 refund' }, svc, key()),
        201,
        'refund',
      );
    }

    // A bank transfer to the canary account number; a top-up from the partner balance.
    const inquiry = must(
      await env.http.post('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: bankAccount, amount: 50_000 }, a.token),
      201,
      'bank inquiry',
    );
    const transfer = must(await env.http.post('/v1/bank-transfers', { inquiryId: inquiry.inquiryId }, a.token, key()), 201, 'transfer');
    must(await env.http.get(`/v1/bank-transfers/${transfer.id}`, a.token), 200, 'transfer status');
    proof.add(
      'bankAccountUsed',
      env.sim.control.transactions({ type: 'TRANSFER' }).filter((t) => t.detail.beneficiaryAccountNumber === bankAccount).length,
    );
    const topUpInquiry = must(await env.http.post(`/v1/users/${b.id}/top-ups/inquiries`, { amount: 30_000 }, svc), 201, 'top-up inquiry');
    must(await env.http.post(`/v1/users/${b.id}/top-ups`, { inquiryId: topUpInquiry.inquiryId }, svc, key()), 201, 'top-up');
    must(await env.http.get('/v1/wallet/balance', b.token), 200, 'balance');
    must(await env.http.get('/v1/transactions', a.token), 200, 'history');

    // R6-like: bad input carrying canaries (echoed nowhere, logged nowhere).
    const bad: Array<[string, string, unknown]> = [
      ['POST', '/v1/auth/login', { email: a.email, password: passwords[0], extra: passwords[0] }],
      ['POST', '/v1/auth/register', { name: 'x', email: 'not-an-email', phone: 'x', password: passwords[1], role: 'admin' }],
      ['POST', '/v1/auth/refresh', { refreshToken: refreshed.refreshToken, extra: 1 }],
      ['POST', `/v1/wallet/registrations/${reg.id}/otp`, { otp, extra: otp }],
      ['POST', '/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: bankAccount, amount: 10.5 }],
      ['POST', '/v1/bank-transfers/inquiries', { bankCode: bankAccount, accountNumber: `${bankAccount}x`, amount: 1 }],
      ['POST', '/v1/purchases', { amount: '10.001', description: clientSecret }],
    ];
    for (const [method, path, body] of bad) {
      const res = await env.http.send(method, path, { body, token: a.token, idempotencyKey: path === '/v1/purchases' ? key() : undefined });
      must(res, [400, 401, 404, 422], `bad input ${path}`);
      proof.add('badInputWithCanaries');
    }
    for (const raw of [`{"password":"${passwords[2]}",`, `{"otp":"${otp}"`, `{"accountNumber":"${bankAccount}"]`]) {
      must(await env.http.send('POST', '/v1/auth/login', { body: raw, contentType: 'application/json' }), 400, 'broken JSON');
      must(await env.http.send('POST', '/v1/auth/login', { body: raw, contentType: 'text/plain' }), 415, 'wrong content type');
      proof.add('badInputWithCanaries', 2);
    }
    // A wrong client secret in HTTP Basic, and a garbage bearer token made of a canary.
    must(
      await env.http.send('POST', '/v1/oauth/token', {
        body: 'grant_type=client_credentials',
        contentType: 'application/x-www-form-urlencoded',
        headers: { authorization: `Basic ${Buffer.from(`${created.clientId}:${passwords[3]}`).toString('base64')}` },
      }),
      401,
      'basic',
    );
    must(await env.http.get('/v1/me', passwords[4]), 401, 'garbage bearer');

    // R7-like: cross-user reads, the back office reading wallets and the DOKU exchange log.
    for (const { id } of [...purchaseOf.values()].filter((p) => p.u.id === a.id)) {
      must(await env.http.get(`/v1/purchases/${id}`, b.token), 404, 'cross-user');
      proof.add('crossUser');
    }
    const admin = await signUp(4);
    await db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const adminLogin = must(await env.http.post('/v1/auth/login', { email: admin.email, password: passwords[4] }), 200, 'admin login');
    for (const u of users) must(await env.http.get(`/v1/admin/users/${u.id}`, adminLogin.accessToken), 200, 'admin user');
    must(await env.http.get(`/v1/users/${a.id}/wallet`, adminLogin.accessToken), 200, 'admin wallet');
    must(await env.http.get('/v1/admin/doku-exchanges?pageSize=50', adminLogin.accessToken), 200, 'exchanges');
    must(await env.http.get('/v1/admin/transactions', adminLogin.accessToken), 200, 'admin transactions');

    // Unbinding with DOKU's OTP.
    must(await env.http.post('/v1/wallet/unbinding', {}, r.token), 200, 'unbinding');
    const unbindOtp = env.sim.control.lastOtp(r.phone).otp;
    canary('OTP (unbinding)', unbindOtp, EVERYWHERE, true);
    must(await env.http.post('/v1/wallet/unbinding/otp', { otp: unbindOtp }, r.token), 200, 'unbinding OTP');
    proof.add('otpsUsed');

    // Let notifications and the exchange recorder finish, then stop listening to stdio.
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.stdout.write = originalStdout;
    process.stderr.write = originalStderr;

    // Every token the simulator issued: DOKU's B2B and customer tokens, authCodes, and (allowed only
    // where the browser needs them) the one-time page tokens.
    const st = env.sim.state;
    for (const t of st.b2bTokens.keys()) canary('doku b2b token', t);
    for (const t of st.customerTokens.keys()) canary('doku customer token', t);
    for (const t of st.authCodes.keys()) canary('doku authCode', t);
    for (const t of [...st.pinTokens.keys(), ...st.purchasesByPayToken.keys(), ...st.bindingsByConsent.keys()])
      canary('doku page token', t, ['logs', 'stdio', 'exchanges']);
    for (const o of st.otps.values()) canary('OTP (simulator)', o.otp, EVERYWHERE, true);
    proof.add('dokuB2bTokens', st.b2bTokens.size);
    proof.add('dokuCustomerTokens', st.customerTokens.size);

    // Where to look.
    const exchanges = (await db.query<Array<{ row: string }>>(`SELECT e::text AS row FROM doku_exchanges e`)).map((x) => x.row);
    const tables = (
      await db.query<Array<{ table_name: string }>>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
      )
    ).map((x) => x.table_name);
    const dump: Array<{ table: string; row: string }> = [];
    for (const table of tables) {
      for (const { row } of await db.query<Array<{ row: string }>>(`SELECT t::text AS row FROM "${table}" t`)) dump.push({ table, row });
    }
    const places: Record<Place, Array<{ what: string; text: string }>> = {
      logs: logLines.map((text, i) => ({ what: `log line ${i}`, text })),
      stdio: stdio.map((text, i) => ({ what: `stdio write ${i}`, text })),
      exchanges: exchanges.map((text, i) => ({ what: `doku_exchanges row ${i}`, text })),
      tables: dump.map((d, i) => ({ what: `${d.table} row ${i}`, text: d.row })),
      responses,
    };
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const hits = (c: Canary, text: string) =>
      c.numeric
        ? new RegExp(`(?<![0-9A-Za-z.+-])${escape(c.value)}(?![0-9A-Za-z])`).test(text)
        : [...new Set([c.value, JSON.stringify(c.value).slice(1, -1)])].some((v) => text.includes(v));
    // The scanner itself is checked: a planted secret and a planted OTP are found, a timestamp is not.
    const otpCanary = canaries.find((c) => c.kind === 'OTP (registration)')!;
    expect([
      hits(canaries[0], `{"msg":"x","secret":"${canaries[0].value}"}`),
      hits(otpCanary, `{"otp":"${otpCanary.value}"}`),
      hits(otpCanary, `2026-01-01 10:00:00.${otpCanary.value}+00`),
    ]).toEqual([true, true, false]);
    if (process.env.RELIABILITY_LOG_FILE) writeFileSync(process.env.RELIABILITY_LOG_FILE, logLines.join(''));
    const found: string[] = [];
    const occurrences: Record<string, number> = { logs: 0, stdio: 0, exchanges: 0, tables: 0, responses: 0 };
    for (const c of canaries) {
      for (const place of c.where) {
        for (const item of places[place]) {
          if (hits(c, item.text)) {
            occurrences[place]++;
            found.push(`${c.kind} in ${place} (${item.what}): ${item.text.slice(0, 200)}`);
          }
        }
      }
    }
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const kinds = new Tally();
    for (const c of canaries) kinds.add(c.kind);
    const minimum = {
      passwordsUsed: 5,
      otpsUsed: 2,
      pinsUsed: 2,
      bankAccountUsed: 1,
      badInputWithCanaries: 10,
      crossUser: 1,
      dokuB2bTokens: 1,
      dokuCustomerTokens: 3,
      logLines: 100,
      // One line per request is written: the scan must have covered request log lines too.
      requestLogLines: 50,
      exchangeRows: 20,
    };
    const requestLogLines = logLines.filter((l) => l.includes('"req":')).length;
    const fired = { ...proof.counts, logLines: logLines.length, requestLogLines, exchangeRows: exchanges.length };
    if (found.length && process.env.RELIABILITY_PROBLEMS_FILE) writeFileSync(process.env.RELIABILITY_PROBLEMS_FILE, found.join('\n'));
    printFigures(TEST, {
      requests: env.http.requests,
      canaries: canaries.length,
      canaryKinds: kinds.counts,
      faultsFired: fired,
      scanned: {
        logLines: logLines.length,
        requestLogLines,
        stdioWrites: stdio.length,
        exchangeRows: exchanges.length,
        tableRows: dump.length,
        tables: tables.length,
        responses: responses.length,
      },
      occurrences,
      debitsAtSimulator: env.sim.control.ledger({ clientId }).debitCount,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      ms: Date.now() - t0,
    });

    expect(found.slice(0, 20)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
    expect({ mismatch: recon.mismatch, missing: recon.missing, duplicate: recon.duplicate, lost: recon.lost }).toEqual({
      mismatch: [],
      missing: [],
      duplicate: [],
      lost: 0,
    });
    expect(invariants).toEqual([]);
  });
});
