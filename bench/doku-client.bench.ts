/**
 * What our DOKU client costs per call, measured against the simplest valid call to the same
 * simulator in the same run: a raw undici request with the signature computed inline.
 *
 *   npm run bench:client                 (defaults: 4 rounds of 4,000 calls, 32 in flight)
 *   BENCH_CALLS=10000 BENCH_CONCURRENCY=64 npm run bench:client
 *
 * Both sides send the same kind of request (Transfer Bank Account Inquiry, B2B-signed) to one
 * simulator process started for the run; the order alternates each round so drift affects both
 * alike. Prints the throughput of each, the ratio client/raw (target: at least 0.9), and the CPU
 * this process spends per call on each side.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import type { DokuExchange } from '../src/integrations/doku/snap/doku.ports';
import { jakartaTimestamp } from '../src/integrations/doku/snap/doku-signature';
import { InMemoryExternalIdGenerator } from '../src/integrations/doku/testing/in-memory-external-id-generator';

const CALLS = Number(process.env.BENCH_CALLS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PORT = Number(process.env.BENCH_SIMULATOR_PORT ?? 4610);
const BASE = `http://127.0.0.1:${PORT}`;
const PATH = '/snap-adapter/b2b/v1.0/emoney/bank-account-inquiry';

async function startSimulator(): Promise<() => void> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'simulator', 'src', 'main.js')], {
    env: { ...process.env, SIMULATOR_PORT: String(PORT), SIMULATOR_CONTROL_API: 'true', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  // The simulator logs every request; keep its output from interleaving with ours.
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  return () => child.kill('SIGTERM');
}

interface Round {
  /** Calls per second. */
  rate: number;
  /** CPU time this process spent per call (user + system), in microseconds: our side's cost. */
  cpuMicros: number;
}

async function runLoop(calls: number, one: (i: number) => Promise<void>): Promise<Round> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) await one(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rate: calls / seconds, cpuMicros: (used.user + used.system) / calls };
}

async function main(): Promise<void> {
  const stop = await startSimulator();
  try {
    const creds = DEV_DOKU_CREDENTIALS;
    const account = (await (
      await request(`${BASE}/_sim/accounts`, { method: 'POST', body: JSON.stringify({ phoneNo: '6281299990001', balance: '1000000.00' }) })
    ).body.json()) as { accountId: string; phoneNo: string };

    let token = '';
    const exchanges: DokuExchange[] = [];
    const client = new DokuClient(
      {
        baseUrl: BASE,
        clientId: creds.clientId,
        clientSecret: creds.clientSecret,
        privateKeyPem: creds.partnerPrivateKeyPem,
        timeoutMs: 10_000,
        connectTimeoutMs: 5_000,
        maxResponseBytes: 1024 * 1024,
        poolConnections: CONCURRENCY,
        pathOverrides: {},
      },
      {
        tokens: { getToken: async () => token, invalidate: async () => undefined },
        externalIds: new InMemoryExternalIdGenerator(),
        // Keep the last few records so the recording work is done but memory stays flat.
        recorder: { record: async (e) => void (exchanges.push(e) > 100 && exchanges.splice(0, 50)) },
      },
    );
    token = (await client.b2bToken()).body.accessToken ?? '';

    const body = (ref: string) => ({
      partnerReferenceNo: ref,
      customerNumber: account.phoneNo ?? '6281299990001',
      amount: { value: '10000.00', currency: 'IDR' },
      beneficiaryAccountNumber: '1234567890',
      additionalInfo: { bankCode: '014', accountId: account.accountId },
    });

    const rawPool = new Pool(BASE, { connections: CONCURRENCY, pipelining: 1 });
    let rawId = 10n ** 20n;
    const raw = async () => {
      const json = JSON.stringify(body(randomUUID()));
      const ts = jakartaTimestamp(new Date());
      const hash = createHash('sha256').update(json).digest('hex');
      const signature = createHmac('sha512', creds.clientSecret).update(`POST:${PATH}:${token}:${hash}:${ts}`).digest('base64');
      const res = await rawPool.request({
        method: 'POST',
        path: PATH,
        body: json,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'x-timestamp': ts,
          'x-signature': signature,
          'x-partner-id': creds.clientId,
          'x-external-id': String(rawId++),
        },
      });
      const answer = (await res.body.json()) as { responseCode: string };
      if (answer.responseCode !== '2004200') throw new Error(`raw call answered ${answer.responseCode}`);
    };
    const viaClient = async () => {
      await client.transferBankInquiry(body(randomUUID()));
    };

    // Warm both paths (JIT, connections) before measuring.
    await runLoop(500, raw);
    await runLoop(500, viaClient);

    const rawRounds: Round[] = [];
    const clientRounds: Round[] = [];
    // The order alternates each round, so warming up (of the simulator too) favours neither side.
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        rawRounds.push(await runLoop(CALLS, raw));
        clientRounds.push(await runLoop(CALLS, viaClient));
      } else {
        clientRounds.push(await runLoop(CALLS, viaClient));
        rawRounds.push(await runLoop(CALLS, raw));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rawRate = median(rawRounds.map((r) => r.rate));
    const clientRate = median(clientRounds.map((r) => r.rate));
    const rawCpu = median(rawRounds.map((r) => r.cpuMicros));
    const clientCpu = median(clientRounds.map((r) => r.cpuMicros));
    const line = (name: string, rounds: Round[]) =>
      `${name.padEnd(22)} ${rounds.map((x) => x.rate.toFixed(0).padStart(6)).join(' ')}   median ${median(rounds.map((r) => r.rate)).toFixed(0)} calls/s, ` +
      `${median(rounds.map((r) => r.cpuMicros)).toFixed(0)} µs CPU/call on our side`;
    process.stdout.write(
      [
        `DOKU client vs raw undici, ${ROUNDS} rounds x ${CALLS} calls, ${CONCURRENCY} in flight, simulator in its own process`,
        line('raw undici (inline)', rawRounds),
        line('DokuClient', clientRounds),
        `throughput ratio client/raw: ${(clientRate / rawRate).toFixed(2)}x (target >= 0.90)`,
        `client CPU per call: ${clientCpu.toFixed(0)} µs vs ${rawCpu.toFixed(0)} µs raw (+${(clientCpu - rawCpu).toFixed(0)} µs)`,
        '',
      ].join('\n'),
    );
    await client.close();
    await rawPool.close();
  } finally {
    stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
