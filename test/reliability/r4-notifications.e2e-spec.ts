import { DataSource } from 'typeorm';
import { hashToken } from '../../src/common/crypto/hashing';
import { jakartaTimestamp } from '../../src/integrations/doku/snap/doku-signature';
import { TIMESTAMP_WINDOW_MS } from '../../src/notifications/notification-token.service';
import type { TransactionStatus } from '../../src/transactions/transaction-state';
import type { SignedInUser } from '../support/actors';
import { registerUser, serviceToken } from '../support/actors';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { SignatureForm, SinkDelivery } from './support/doku-notifications';
import {
  DokuNotificationSender,
  historyProblem,
  NotificationSink,
  notificationExternalId,
  notificationsSettled,
  statusHistory,
} from './support/doku-notifications';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import type { Rng } from './support/harness';
import { announce, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R4 (docs/reliability.md): DOKU notifications replayed 10x, one byte tampered, the wrong key, a forged
 * or expired token, a pretty-printed body, X-TIMESTAMP just inside and just outside the window, and
 * whole lifecycles delivered out of order with duplicates. Pass: replays are no-ops (no stored row,
 * no state change, no outbox event, no DOKU call); tampered or forged: 401 and 0 state change;
 * every permutation of a lifecycle ends in the in-order final state and no state ever moves back.
 *
 * The notifications are the simulator's own (its notifier posts them to a sink the test holds), so
 * the test chooses when, in which order and how many times each reaches the app; a last part lets
 * the simulator's notifier deliver straight to the app with its duplicate and out-of-order faults.
 */
const TEST = 'R4';
const HOSTILE_ROUNDS = sized(3, 30); // every hostile case type, this many times each
const REPLAYS = 10;
const TRIALS_PER_LIFECYCLE = sized(3, 0); // random permutations per lifecycle; 0: every permutation
const FULL_REPEATS = 5; // at full size, every permutation this many times (other duplicates, other interleavings)
const SIM_DRIVEN = sized(12, 150); // lifecycles the simulator's notifier delivers itself, with faults
const TRIAL_LANES = 6;
const WINDOW_MARGIN_MS = 5_000; // "just" inside or outside the timestamp window
const DANA_PAYMENTS = sized(6, 60); // DANA one-time payments (docs/channels.md), their notifications attacked and reordered

jest.setTimeout(sized(120_000, 900_000));

type Step = 'pay' | 'payPending' | 'resolvePaid' | 'decline' | 'cancel' | 'refundPart' | 'refundRest';

/** How many notifications DOKU sends when the step happens. */
const EMITS: Record<Step, number> = { pay: 1, payPending: 0, resolvePaid: 1, decline: 1, cancel: 1, refundPart: 1, refundRest: 1 };

interface Lifecycle {
  name: string;
  steps: Step[];
  /** The state delivering the notifications in order leads to. */
  final: { purchase: TransactionStatus; refundedAll: boolean; children: string[] };
}

/** The purchase lifecycles DOKU sends notifications for (docs/doku-integration.md#transaction-statuses). */
const LIFECYCLES: Lifecycle[] = [
  { name: 'paid', steps: ['pay'], final: { purchase: 'SUCCESS', refundedAll: false, children: [] } },
  { name: 'pendingThenPaid', steps: ['payPending', 'resolvePaid'], final: { purchase: 'SUCCESS', refundedAll: false, children: [] } },
  { name: 'declined', steps: ['decline'], final: { purchase: 'FAILED', refundedAll: false, children: [] } },
  { name: 'canceledBeforePin', steps: ['cancel'], final: { purchase: 'CANCELED', refundedAll: false, children: ['CANCEL:SUCCESS'] } },
  { name: 'paidThenCanceled', steps: ['pay', 'cancel'], final: { purchase: 'CANCELED', refundedAll: false, children: ['CANCEL:SUCCESS'] } },
  {
    name: 'paidThenRefunded',
    steps: ['pay', 'refundPart', 'refundRest'],
    final: { purchase: 'SUCCESS', refundedAll: true, children: ['REFUND:SUCCESS', 'REFUND:SUCCESS'] },
  },
];

interface Purchase {
  id: string;
  ref: string;
  amount: number;
  user: SignedInUser;
}

/** Every order of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) for (let i = 0; i <= rest.length; i++) out.push([...rest.slice(0, i), n - 1, ...rest.slice(i)]);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A Base64 signature with one character changed such that Node's lenient decoder still reads the
 * same bytes: `+` or `/` swapped for its Base64url twin `-` or `_`, or (both signatures here end in
 * `==`) the last data character with one of its four unused low bits flipped.
 */
function sameBytesOtherText(signature: string, r: Rng): string {
  const twins = [...signature].flatMap((c, i) => (c === '+' || c === '/' ? [i] : []));
  if (twins.length > 0 && r.next() < 0.5) {
    const at = r.pick(twins);
    return signature.slice(0, at) + (signature[at] === '+' ? '-' : '_') + signature.slice(at + 1);
  }
  if (!signature.endsWith('==')) throw new Error('expected a signature ending in ==');
  const at = signature.length - 3;
  const flipped = BASE64[BASE64.indexOf(signature[at]) ^ (1 << r.int(0, 3))];
  return signature.slice(0, at) + flipped + signature.slice(at + 1);
}

describe('R4: hostile, replayed and out-of-order DOKU notifications', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  let sink: NotificationSink;
  let sender: DokuNotificationSender;
  let users: SignedInUser[];
  let refundsToken: string;
  const started = Date.now();

  beforeAll(async () => {
    env = await startReliabilityEnv({ sim: { seed: `${RELIABILITY_SEED}:${TEST}` } });
    db = env.t.app.get(DataSource);
    const { clientId, clientSecret, notificationPath } = env.t.config.doku;
    sink = await NotificationSink.start();
    env.sim.control.setNotification(clientId, { enabled: true, baseUrl: sink.url, timeScale: 0.001 });
    sender = new DokuNotificationSender(env.http, { clientId, clientSecret, notifyPath: notificationPath });
    users = [];
    for (let i = 0; i < 3; i++) {
      const u = await registerUser(env.t);
      await createBoundWallet(env, u, { balance: 9_000_000 });
      users.push(u);
    }
    refundsToken = (await serviceToken(env.t, ['refunds:write'])).token;
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  const clientId = () => env.t.config.doku.clientId;
  const queryCalls = () => env.simCalls.get('queryPurchase');
  const storedCount = async (ref?: string) => {
    const rows = await db.query<
      Array<{
        n: number;
      }>
    >(`SELECT COUNT(*)::int AS n FROM doku_notifications ${ref ? 'WHERE partner_reference_no = $1' : ''}`, ref ? [ref] : []);
    return rows[0].n;
  };
  const outboxCount = async () => Number((await db.query<Array<{ n: number }>>(`SELECT COUNT(*)::int AS n FROM outbox_events`))[0].n);
  const stateOf = async (id: string) =>
    (
      await db.query<
        Array<{
          status: TransactionStatus;
          refunded: number;
          amount: number;
        }>
      >(`SELECT status, refunded_amount::int AS refunded, amount::int AS amount FROM transactions WHERE id = $1`, [id])
    )[0];

  async function newPurchase(r: Rng): Promise<Purchase> {
    const user = r.pick(users);
    const amount = r.int(10_000, 90_000);
    const res = await env.http.post('/v1/purchases', { amount, description: 'R4 order' }, user.accessToken, `r4-${r.hex(20)}`);
    if (res.status !== 201) throw new Error(`purchase: ${res.status} ${res.text.slice(0, 200)}`);
    const row = await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [
      res.json.id,
    ]);
    return { id: res.json.id as string, ref: row[0].partner_reference_no, amount, user };
  }

  /** A purchase pending with us that DOKU has settled as paid: a notification would move it. */
  async function paidAtDoku(r: Rng): Promise<{ purchase: Purchase; notification: SinkDelivery }> {
    const purchase = await newPurchase(r);
    env.sim.control.pay({ partnerReferenceNo: purchase.ref });
    const [notification] = await sink.waitFor(purchase.ref, 1);
    return { purchase, notification: notification };
  }

  const acked = (res: RawResponse) => res.status === 200 && res.json?.responseCode === '2005600';

  it('hostile notifications are 401 with no state change; edge cases inside the rules are accepted; replays are no-ops', async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const r = rng.fork('hostile');
    const victims: Array<{ purchase: Purchase; notification: SinkDelivery }> = [];
    for (let i = 0; i < 3; i++) victims.push(await paidAtDoku(r));
    const storedBefore = await storedCount();
    const outboxBefore = await outboxCount();
    const queriesBefore = queryCalls();
    const { privateKeyPem: ourPrivateKey } = env.t.config.doku;

    const refused = (label: string, res: RawResponse, code: string) => {
      tally.add(label);
      if (res.status !== 401 || res.json?.responseCode !== code)
        problems.push(`${label}: ${res.status} ${res.text.slice(0, 200)} (wanted 401 ${code})`);
    };
    const fromNow = (ms: number) => jakartaTimestamp(new Date(Date.now() + ms));

    for (let round = 0; round < HOSTILE_ROUNDS; round++) {
      const token = await sender.token();
      const form = (): SignatureForm => r.pick(['symmetric', 'asymmetric'] as const);
      const pick = () => r.pick(victims).notification.body;
      const ext = () => notificationExternalId(r);

      // One byte of the body changed after signing; also when that breaks the JSON, since the
      // signature over the raw bytes is checked before the body is parsed.
      {
        const body = pick();
        const bytes = Buffer.from(body, 'utf8');
        const at = r.int(0, bytes.length - 1);
        let c = 0x20 + r.int(0, 94);
        if (c === bytes[at]) c = 0x20 + ((c - 0x20 + 1) % 95);
        bytes[at] = c;
        refused(
          'tamperedBody',
          await sender.send(bytes, sender.sign(bytes, { token, form: form(), externalId: ext(), signedBody: body })),
          '4015600',
        );
      }
      // One character of the signature changed: any position, any character of either Base64 alphabet.
      {
        const body = pick();
        const headers = sender.sign(body, { token, form: form(), externalId: ext() });
        const sig = headers['x-signature'];
        const at = r.int(0, sig.length - 1);
        const alphabet = `${BASE64}-_=`.replace(sig[at], '');
        headers['x-signature'] = sig.slice(0, at) + alphabet[r.int(0, alphabet.length - 1)] + sig.slice(at + 1);
        refused('tamperedSignature', await sender.send(body, headers), '4015600');
      }
      // One character of the signature changed so that a lenient Base64 decoder reads the same bytes:
      // a Base64url character for its standard twin, or the unused low bits of the last character.
      {
        const body = pick();
        const headers = sender.sign(body, { token, form: form(), externalId: ext() });
        headers['x-signature'] = sameBytesOtherText(headers['x-signature'], r);
        refused('tamperedSignatureEncoding', await sender.send(body, headers), '4015600');
      }
      // X-TIMESTAMP one second off from the signed one (still inside the window).
      {
        const body = pick();
        const signedAt = Date.now();
        const headers = sender.sign(body, { token, form: form(), externalId: ext(), timestamp: jakartaTimestamp(new Date(signedAt)) });
        headers['x-timestamp'] = jakartaTimestamp(new Date(signedAt - 1000));
        refused('tamperedTimestamp', await sender.send(body, headers), '4015600');
      }
      // One character of our token changed (the signature made with the changed token).
      {
        const body = pick();
        const at = r.int(5, token.length - 1);
        const other = token[at] === 'A' ? 'B' : 'A';
        const forged = token.slice(0, at) + other + token.slice(at + 1);
        refused('tamperedToken', await sender.send(body, sender.sign(body, { token: forged, externalId: ext() })), '4015601');
      }
      {
        const body = pick();
        refused(
          'wrongKeyHmac',
          await sender.send(body, sender.sign(body, { token, externalId: ext(), clientSecret: `SK-${r.hex(32)}` })),
          '4015600',
        );
      }
      {
        // Signed with the partner's own key instead of DOKU's.
        const body = pick();
        refused(
          'wrongKeyRsa',
          await sender.send(body, sender.sign(body, { token, form: 'asymmetric', externalId: ext(), privateKey: ourPrivateKey })),
          '4015600',
        );
      }
      {
        const body = pick();
        const headers = sender.sign(body, { token, form: form(), externalId: ext(), signedPath: '/v1.0/debit/notify/other' });
        refused('wrongSignedPath', await sender.send(body, headers), '4015600');
      }
      {
        const body = pick();
        refused('forgedToken', await sender.send(body, sender.sign(body, { token: `dnt_${r.hex(43)}`, externalId: ext() })), '4015601');
      }
      {
        const body = pick();
        refused('missingToken', await sender.send(body, sender.sign(body, { form: 'asymmetric', externalId: ext() })), '4015601');
      }
      {
        // A token we really issued, past its lifetime.
        const expired = await sender.token();
        await db.query(`UPDATE doku_notification_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
          hashToken(expired),
        ]);
        const body = pick();
        refused('expiredToken', await sender.send(body, sender.sign(body, { token: expired, form: form(), externalId: ext() })), '4015601');
      }
      // The token handshake itself, forged: the wrong key, another client, a stale timestamp.
      refused('forgedHandshakeKey', await sender.handshake({ privateKey: ourPrivateKey }), '4017300');
      refused(
        'forgedHandshakeClient',
        await sender.handshake({ clientKey: `BRN-${r.digits(13)}`, signedClientId: `BRN-${r.digits(13)}` }),
        '4017300',
      );
      refused('tamperedHandshakeSignature', await sender.handshake({ alterSignature: (sig) => sameBytesOtherText(sig, r) }), '4017300');
      refused('staleHandshake', await sender.handshake({ timestamp: fromNow(-(TIMESTAMP_WINDOW_MS + WINDOW_MARGIN_MS)) }), '4017300');
      {
        const body = pick();
        const timestamp = fromNow(-(TIMESTAMP_WINDOW_MS + WINDOW_MARGIN_MS));
        refused(
          'outsideWindowPast',
          await sender.send(body, sender.sign(body, { token, form: form(), externalId: ext(), timestamp })),
          '4015600',
        );
      }
      {
        const body = pick();
        const timestamp = fromNow(TIMESTAMP_WINDOW_MS + WINDOW_MARGIN_MS);
        refused(
          'outsideWindowFuture',
          await sender.send(body, sender.sign(body, { token, form: form(), externalId: ext(), timestamp })),
          '4015600',
        );
      }
      {
        // Signed over the minified body, sent pretty-printed with one space added inside a string:
        // whitespace between tokens does not count (DOKU's libraries sign the minified form), but
        // inside a string it is content, so this is tampering.
        const body = pick();
        const pretty = JSON.stringify(JSON.parse(body), null, 2).replace(
          '"originalPartnerReferenceNo": "',
          '"originalPartnerReferenceNo": " ',
        );
        refused(
          'tamperedInsideStringAfterSigning',
          await sender.send(pretty, sender.sign(pretty, { token, form: form(), externalId: ext(), signedBody: body })),
          '4015600',
        );
      }
    }

    // Nothing above may have been stored, changed a state, written an event or called DOKU, even later.
    await sleep(300);
    for (const v of victims) {
      const h = await statusHistory(db, v.purchase.id);
      const s = await stateOf(v.purchase.id);
      if (s.status !== 'PENDING' || h.outboxEvents !== 1 || h.transactionEvents !== 1)
        problems.push(`victim ${v.purchase.ref}: ${s.status}, ${h.outboxEvents} events`);
    }
    const hostile = {
      stored: (await storedCount()) - storedBefore,
      outbox: (await outboxCount()) - outboxBefore,
      dokuQueries: queryCalls() - queriesBefore,
    };

    // Just inside the rules: accepted, stored as received, processed.
    const accepted: Array<{ label: string; purchase: Purchase; body: string; headers: Record<string, string> }> = [];
    const token = await sender.token();
    const edge = async (label: string, shape: (body: string) => string, timestamp?: string) => {
      const v = await paidAtDoku(r);
      const body = shape(v.notification.body);
      const headers = sender.sign(body, {
        token,
        form: r.pick(['symmetric', 'asymmetric'] as const),
        externalId: notificationExternalId(r),
        timestamp,
      });
      const res = await sender.send(body, headers);
      tally.add(label);
      if (!acked(res)) problems.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
      accepted.push({ label, purchase: v.purchase, body, headers });
    };
    await edge('insideWindowPast', (b) => b, jakartaTimestamp(new Date(Date.now() - (TIMESTAMP_WINDOW_MS - WINDOW_MARGIN_MS))));
    await edge('insideWindowFuture', (b) => b, jakartaTimestamp(new Date(Date.now() + (TIMESTAMP_WINDOW_MS - WINDOW_MARGIN_MS))));
    await edge('prettyPrinted', (b) => JSON.stringify(JSON.parse(b), null, 2));
    await edge('prettyTabsCrlf', (b) => `${JSON.stringify(JSON.parse(b), null, '\t').replace(/\n/g, '\r\n')}\r\n`);
    await edge('minified', (b) => b);
    // Signed over the minified body, sent pretty-printed (as DOKU's own libraries sign): accepted.
    {
      const v = await paidAtDoku(r);
      const body = JSON.stringify(JSON.parse(v.notification.body), null, 2);
      const headers = sender.sign(body, {
        token,
        form: r.pick(['symmetric', 'asymmetric'] as const),
        externalId: notificationExternalId(r),
        signedBody: v.notification.body,
      });
      const res = await sender.send(body, headers);
      tally.add('prettySignedMinified');
      if (!acked(res)) problems.push(`prettySignedMinified: ${res.status} ${res.text.slice(0, 200)}`);
      accepted.push({ label: 'prettySignedMinified', purchase: v.purchase, body, headers });
    }
    // The first delivery and its replays all at once: stored once, processed once.
    {
      const v = await paidAtDoku(r);
      const headers = sender.sign(v.notification.body, { token, form: 'symmetric', externalId: notificationExternalId(r) });
      const answers = await Promise.all(Array.from({ length: REPLAYS }, () => sender.send(v.notification.body, headers)));
      tally.add('concurrentFirstDelivery', answers.length);
      for (const a of answers) if (!acked(a)) problems.push(`concurrent first delivery: ${a.status} ${a.text.slice(0, 200)}`);
      accepted.push({ label: 'concurrentFirstDelivery', purchase: v.purchase, body: v.notification.body, headers });
    }
    for (const a of accepted) {
      await notificationsSettled(db, { partnerReferenceNo: a.purchase.ref });
      const rows = await db.query<
        Array<{
          raw_body: string;
          process_result: string;
        }>
      >(`SELECT raw_body, process_result FROM doku_notifications WHERE partner_reference_no = $1`, [a.purchase.ref]);
      const s = await stateOf(a.purchase.id);
      const h = await statusHistory(db, a.purchase.id);
      if (rows.length !== 1 || rows[0].raw_body !== a.body)
        problems.push(`${a.label}: ${rows.length} stored, raw body kept: ${rows[0]?.raw_body === a.body}`);
      if (rows[0]?.process_result !== 'confirmed by Query Purchase: SUCCESS')
        problems.push(`${a.label}: processed as ${rows[0]?.process_result}`);
      if (s.status !== 'SUCCESS' || h.outboxEvents !== 2 || h.transactionEvents !== 2)
        problems.push(`${a.label}: ${s.status} after ${h.outboxEvents} events`);
    }

    // Replayed 10x (one after another, then 10 at once) after processing: acknowledged, and nothing else.
    const replayBase = { stored: await storedCount(), outbox: await outboxCount(), queries: queryCalls() };
    for (const a of accepted.filter((x) => !x.label.startsWith('insideWindow'))) {
      for (let i = 0; i < REPLAYS; i++) {
        const res = await sender.send(a.body, a.headers);
        tally.add('replay');
        if (!acked(res)) problems.push(`replay of ${a.label}: ${res.status} ${res.text.slice(0, 200)}`);
      }
      const burst = await Promise.all(Array.from({ length: REPLAYS }, () => sender.send(a.body, a.headers)));
      tally.add('replayConcurrent', burst.length);
      for (const res of burst) if (!acked(res)) problems.push(`concurrent replay of ${a.label}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    await sleep(300);
    const afterReplays = { stored: await storedCount(), outbox: await outboxCount(), queries: queryCalls() };
    for (const a of accepted) if ((await stateOf(a.purchase.id)).status !== 'SUCCESS') problems.push(`${a.label}: moved by a replay`);

    // Control: the victims of the hostile cases did move on their first valid notification.
    for (const v of victims) {
      const res = await sender.send(
        v.notification.body,
        sender.sign(v.notification.body, { token, externalId: notificationExternalId(r) }),
      );
      if (!acked(res)) problems.push(`control ${v.purchase.ref}: ${res.status}`);
      await notificationsSettled(db, { partnerReferenceNo: v.purchase.ref });
      if ((await stateOf(v.purchase.id)).status !== 'SUCCESS')
        problems.push(`control ${v.purchase.ref}: not moved by a valid notification`);
    }
    // One Query Purchase per accepted distinct delivery: none for a hostile one, none for a replay.
    const dokuQueries = queryCalls() - queriesBefore;

    const minimum = {
      tamperedBody: HOSTILE_ROUNDS,
      tamperedSignature: HOSTILE_ROUNDS,
      tamperedTimestamp: HOSTILE_ROUNDS,
      tamperedToken: HOSTILE_ROUNDS,
      wrongKeyHmac: HOSTILE_ROUNDS,
      wrongKeyRsa: HOSTILE_ROUNDS,
      wrongSignedPath: HOSTILE_ROUNDS,
      forgedToken: HOSTILE_ROUNDS,
      missingToken: HOSTILE_ROUNDS,
      expiredToken: HOSTILE_ROUNDS,
      forgedHandshakeKey: HOSTILE_ROUNDS,
      forgedHandshakeClient: HOSTILE_ROUNDS,
      staleHandshake: HOSTILE_ROUNDS,
      outsideWindowPast: HOSTILE_ROUNDS,
      outsideWindowFuture: HOSTILE_ROUNDS,
      tamperedInsideStringAfterSigning: HOSTILE_ROUNDS,
      tamperedSignatureEncoding: HOSTILE_ROUNDS,
      tamperedHandshakeSignature: HOSTILE_ROUNDS,
      insideWindowPast: 1,
      insideWindowFuture: 1,
      prettyPrinted: 1,
      prettyTabsCrlf: 1,
      prettySignedMinified: 1,
      concurrentFirstDelivery: REPLAYS,
      replay: REPLAYS * 4,
      replayConcurrent: REPLAYS * 4,
    };
    printFigures(TEST, {
      scenario: 'hostile',
      fired: tally.counts,
      hostileStored: hostile.stored,
      hostileOutboxEvents: hostile.outbox,
      hostileDokuQueries: hostile.dokuQueries,
      replayStored: afterReplays.stored - replayBase.stored,
      replayOutboxEvents: afterReplays.outbox - replayBase.outbox,
      replayDokuQueries: afterReplays.queries - replayBase.queries,
      acceptedDistinct: accepted.length + victims.length,
      dokuQueries,
      problems: problems.length,
      ms: Date.now() - t0,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(tally.counts, minimum)).toEqual([]);
    expect(hostile).toEqual({ stored: 0, outbox: 0, dokuQueries: 0 });
    expect(afterReplays).toEqual(replayBase);
    expect(dokuQueries).toBe(accepted.length + victims.length);
  });

  /** A delivery in a trial: the i-th notification of the lifecycle, first time, exact replay, or DOKU's retry (new X-EXTERNAL-ID). */
  interface Delivery {
    n: number;
    kind: 'first' | 'replay' | 'retry';
  }

  /** The permutation `order`, with duplicates inserted at random places after the first copy. */
  function withDuplicates(order: number[], r: Rng): Delivery[] {
    const out: Delivery[] = order.map((n) => ({ n, kind: 'first' }));
    const extra = r.int(1, 3);
    for (let i = 0; i < extra; i++) {
      const n = r.pick(order);
      const first = out.findIndex((d) => d.n === n);
      out.splice(r.int(first + 1, out.length), 0, { n, kind: r.pick(['replay', 'retry'] as const) });
    }
    return out;
  }

  /** Does `step` to the purchase: at DOKU (the user's PIN, DOKU settling), or through our API with DOKU's answer lost. */
  async function doStep(step: Step, p: Purchase, r: Rng, tally: Tally, problems: string[]): Promise<void> {
    const control = env.sim.control;
    switch (step) {
      case 'pay':
        control.pay({ partnerReferenceNo: p.ref });
        return;
      case 'payPending':
        control.pay({ partnerReferenceNo: p.ref, outcome: 'pending' });
        return;
      case 'resolvePaid':
        control.resolve({ partnerReferenceNo: p.ref, status: '00' });
        return;
      case 'decline':
        control.pay({ partnerReferenceNo: p.ref, outcome: 'fail' });
        return;
      case 'cancel': {
        const res = await env.http.post(`/v1/purchases/${p.id}/cancel`, { reason: 'R4 cancel' }, p.user.accessToken, `r4c-${r.hex(20)}`);
        tally.add('cancelAnswerLost', res.status === 202 && res.json?.status === 'UNKNOWN' ? 1 : 0);
        if (res.status >= 500) problems.push(`cancel ${p.ref}: ${res.status}`);
        return;
      }
      case 'refundPart':
      case 'refundRest': {
        // A refund needs the purchase to be a success with us: the user's GET settles it if no notification did yet.
        if ((await stateOf(p.id)).status !== 'SUCCESS') await env.http.get(`/v1/purchases/${p.id}`, p.user.accessToken);
        const s = await stateOf(p.id);
        const part = Math.floor(p.amount / 3);
        const amount = step === 'refundPart' ? part : p.amount - part;
        const res = await env.http.post(
          `/v1/users/${p.user.id}/purchases/${p.id}/refunds`,
          { amount, reason: 'R4 refund' },
          refundsToken,
          `r4r-${r.hex(20)}`,
        );
        tally.add('refundAnswerLost', res.status === 202 && res.json?.status === 'UNKNOWN' ? 1 : 0);
        if (res.status !== 201 && res.status !== 202)
          problems.push(`${step} ${p.ref} (purchase ${s.status}): ${res.status} ${res.text.slice(0, 200)}`);
        return;
      }
    }
  }

  /** The state a lifecycle must end in, or what differs. */
  async function finalProblem(lc: Lifecycle, p: Purchase): Promise<string | undefined> {
    const s = await stateOf(p.id);
    const children = await db.query<
      Array<{
        id: string;
        type: string;
        status: string;
      }>
    >(`SELECT id, type, status FROM transactions WHERE parent_id = $1 ORDER BY type, status`, [p.id]);
    const got = { purchase: s.status, refundedAll: s.refunded === s.amount, children: children.map((c) => `${c.type}:${c.status}`).sort() };
    const want = { ...lc.final, children: [...lc.final.children].sort() };
    if (JSON.stringify(got) !== JSON.stringify(want))
      return `${lc.name} ${p.ref}: ended ${JSON.stringify(got)}, in order ${JSON.stringify(want)}`;
    for (const id of [p.id, ...children.map((c) => c.id)]) {
      const why = await historyProblem(db, id);
      if (why) return `${lc.name} ${p.ref}: history of ${id}: ${why}`;
    }
    return undefined;
  }

  /**
   * When DOKU's steps happen relative to the deliveries: each step at the latest just before the
   * first delivery of its notification (`late`), all of them before the first delivery (`early`), or
   * sometimes earlier than needed (`mixed`). Either way the app also sees notifications about states
   * DOKU has already left.
   */
  type StepTiming = 'late' | 'early' | 'mixed';
  const TIMINGS: StepTiming[] = ['late', 'early', 'mixed'];

  /** One lifecycle, its notifications delivered in `order` with duplicates. */
  async function trial(lc: Lifecycle, order: number[], timing: StepTiming, r: Rng, tally: Tally, problems: string[]): Promise<void> {
    const p = await newPurchase(r);
    const emitter: number[] = []; // notification index -> index of the step that sends it
    lc.steps.forEach((s, i) => {
      for (let k = 0; k < EMITS[s]; k++) emitter.push(i);
    });
    const deliveries = withDuplicates(order, r);
    const token = await sender.token();
    const sent = new Map<number, { body: string; headers: Record<string, string> }>();
    let stepsDone = 0;
    let emitted = 0;
    let captured: SinkDelivery[] = [];
    const nextStep = async () => {
      const step = lc.steps[stepsDone++];
      await doStep(step, p, r, tally, problems);
      emitted += EMITS[step];
      captured = await sink.waitFor(p.ref, emitted);
    };
    for (const d of deliveries) {
      while (stepsDone <= emitter[d.n] || (timing === 'early' && stepsDone < lc.steps.length)) await nextStep();
      if (timing === 'mixed' && stepsDone < lc.steps.length && r.next() < 0.3) await nextStep();
      // A notification about a state DOKU has already left.
      if (emitter[d.n] < stepsDone - 1) tally.add('staleDelivery');
      let message = sent.get(d.n);
      if (!message || d.kind === 'retry') {
        const body = captured[d.n].body;
        message = {
          body,
          headers: sender.sign(body, { token, form: r.pick(['symmetric', 'asymmetric'] as const), externalId: notificationExternalId(r) }),
        };
        if (!sent.has(d.n)) sent.set(d.n, message);
      }
      tally.add(d.kind === 'first' ? 'delivery' : d.kind === 'replay' ? 'duplicateReplay' : 'duplicateRetry');
      const res = await sender.send(message.body, message.headers);
      if (!acked(res)) problems.push(`${lc.name} ${p.ref} delivery ${JSON.stringify(d)}: ${res.status} ${res.text.slice(0, 200)}`);
      if (r.next() < 0.5) await sleep(r.int(0, 20));
    }
    while (stepsDone < lc.steps.length) await nextStep();
    const stored = await notificationsSettled(db, { partnerReferenceNo: p.ref });
    const distinct = deliveries.filter((d) => d.kind !== 'replay').length;
    if (stored !== distinct) problems.push(`${lc.name} ${p.ref}: ${stored} stored for ${distinct} distinct deliveries`);
    if (order.some((n, i) => n !== i)) tally.add(`outOfOrder:${lc.name}`);
    tally.add(`lifecycle:${lc.name}`);
    const why = await finalProblem(lc, p);
    if (why) problems.push(`${why}; ${timing} steps, deliveries ${JSON.stringify(deliveries)}`);
  }

  it('every permutation of a lifecycle, with duplicates, ends in the in-order final state and never moves back', async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const r = rng.fork('permutations');
    env.sim.control.setFaults(
      [
        { id: 'cancel-lost', endpoint: 'cancelPurchase', type: 'drop' },
        { id: 'refund-lost', endpoint: 'refundPurchase', type: 'drop' },
      ],
      `${RELIABILITY_SEED}:${TEST}:permutations`,
    );
    const plans: Array<{ lc: Lifecycle; order: number[]; timing: StepTiming; r: Rng }> = [];
    for (const lc of LIFECYCLES) {
      const n = lc.steps.reduce((sum, s) => sum + EMITS[s], 0);
      const all = permutations(n);
      // Reduced: distinct orders first (a seeded pick), then again; full: every order, FULL_REPEATS times.
      const picked = r.shuffle(all);
      const orders =
        TRIALS_PER_LIFECYCLE > 0
          ? Array.from({ length: TRIALS_PER_LIFECYCLE }, (_, i) => picked[i % picked.length])
          : all.flatMap((o) => Array(FULL_REPEATS).fill(o) as number[][]);
      orders.forEach((order, i) => plans.push({ lc, order, timing: TIMINGS[i % TIMINGS.length], r: r.fork(`${lc.name}/${i}`) }));
    }
    await mapLimit(r.shuffle(plans), TRIAL_LANES, (plan) => trial(plan.lc, plan.order, plan.timing, plan.r, tally, problems));
    const faults = Object.fromEntries(env.sim.control.listFaults().rules.map((rule) => [rule.id, rule.fired]));
    env.sim.control.clearFaults();
    const fired = { ...tally.counts, cancelDropped: faults['cancel-lost'] ?? 0, refundDropped: faults['refund-lost'] ?? 0 };
    const cancels = plans.filter((p) => p.lc.steps.includes('cancel')).length;
    const refunds = plans.filter((p) => p.lc.steps.includes('refundPart')).length * 2;
    const minimum = {
      ...Object.fromEntries(LIFECYCLES.map((lc) => [`lifecycle:${lc.name}`, TRIALS_PER_LIFECYCLE || FULL_REPEATS])),
      // Every lifecycle with more than one notification is delivered out of order at least once.
      ...Object.fromEntries(
        LIFECYCLES.filter((lc) => lc.steps.filter((st) => EMITS[st] > 0).length > 1).map((lc) => [`outOfOrder:${lc.name}`, 1]),
      ),
      duplicateReplay: 1,
      duplicateRetry: 1,
      staleDelivery: 1,
      cancelDropped: cancels,
      refundDropped: refunds,
      cancelAnswerLost: cancels,
      refundAnswerLost: refunds,
    };
    printFigures(TEST, { scenario: 'permutations', trials: plans.length, fired, problems: problems.length, ms: Date.now() - t0 });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
  });

  it("the simulator's own notifier, duplicating and reordering deliveries, leads to the same final states", async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const r = rng.fork('simulator');
    const control = env.sim.control;
    control.setNotification(clientId(), { enabled: true, baseUrl: env.t.url, timeScale: 0.001 });
    control.setFaults(
      [
        { id: 'cancel-lost', endpoint: 'cancelPurchase', type: 'drop' },
        { id: 'refund-lost', endpoint: 'refundPurchase', type: 'drop' },
        { id: 'duplicate', endpoint: 'notification', type: 'notify_duplicate', probability: 0.4 },
        { id: 'out-of-order', endpoint: 'notification', type: 'notify_out_of_order', probability: 0.4, latencyMs: 150 },
      ],
      `${RELIABILITY_SEED}:${TEST}:simulator`,
    );
    const runs: Array<{ lc: Lifecycle; p: Purchase }> = [];
    await mapLimit(
      Array.from({ length: SIM_DRIVEN }, (_, i) => i),
      TRIAL_LANES,
      async (i) => {
        const rr = r.fork(String(i));
        const lc = rr.pick(LIFECYCLES);
        const p = await newPurchase(rr);
        runs.push({ lc, p });
        for (const step of lc.steps) {
          await doStep(step, p, rr, tally, problems);
          // DOKU's "Retry Notification": the current state once more.
          if (rr.next() < 0.3) {
            control.resendNotification({ partnerReferenceNo: p.ref });
            tally.add('resend');
          }
          await sleep(rr.int(0, 30));
        }
      },
    );
    // Every delivery the simulator made (held ones are released after their hold) reached the app and was processed.
    const refs = new Set(runs.map((x) => x.p.ref));
    const deadline = Date.now() + 20_000;
    let open = control.notifications().filter((n) => refs.has(n.partnerReferenceNo as string) && n.status !== 'delivered');
    while (open.length > 0 && Date.now() < deadline) {
      await sleep(50);
      open = control.notifications().filter((n) => refs.has(n.partnerReferenceNo as string) && n.status !== 'delivered');
    }
    if (open.length > 0) problems.push(`${open.length} notifications not delivered: ${JSON.stringify(open[0]).slice(0, 300)}`);
    const deliveries = control.notifications().filter((n) => refs.has(n.partnerReferenceNo as string));
    const retried = deliveries.filter((n) => (n.attempts as unknown[]).length !== 1).length;
    await notificationsSettled(db, {});
    for (const { lc, p } of runs) {
      const why = await finalProblem(lc, p);
      if (why) problems.push(why);
    }
    const faults = Object.fromEntries(control.listFaults().rules.map((rule) => [rule.id, rule.fired]));
    control.clearFaults();
    const fired = { ...tally.counts, notifyDuplicate: faults['duplicate'] ?? 0, notifyOutOfOrder: faults['out-of-order'] ?? 0 };
    const minimum = { notifyDuplicate: 1, notifyOutOfOrder: 1, resend: 1 };

    const recon = await reconcile(db, env.sim, clientId());
    const invariants = await invariantViolations(db);
    printFigures(TEST, {
      scenario: 'simulatorNotifier',
      lifecycles: runs.length,
      deliveries: deliveries.length,
      deliveriesRetriedBySimulator: retried,
      fired,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
      totalMs: Date.now() - started,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    // The simulator's genuine notifications are accepted on the first attempt.
    expect(retried).toBe(0);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.unresolved).toBe(0);
    expect(invariants).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
  });

  it('DANA: hostile notifications change nothing, replays are no-ops, and reordered lifecycles end in the in-order state', async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const r = rng.fork('dana');
    const control = env.sim.control;
    // The test holds DANA's notifications again (the previous part let the simulator deliver them).
    control.setNotification(clientId(), { enabled: true, baseUrl: sink.url, timeScale: 0.001 });
    const danaStatusCalls = () => env.simCalls.get('danaStatus');

    interface DanaRun {
      p: Purchase;
      approve: boolean;
      refund: number;
      deliveries: SinkDelivery[];
    }
    const runs: DanaRun[] = [];
    for (let i = 0; i < DANA_PAYMENTS; i++) {
      const user = r.pick(users);
      const amount = r.int(10_000, 90_000);
      const res = await env.http.post(
        '/v1/purchases',
        { amount, description: 'R4 DANA order', paymentMethod: 'DANA', deviceId: `r4dana${i}` },
        user.accessToken,
        `r4-dana-${r.hex(20)}`,
      );
      if (res.status !== 201) throw new Error(`DANA purchase: ${res.status} ${res.text.slice(0, 200)}`);
      const row = await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [
        res.json.id,
      ]);
      const p: Purchase = { id: res.json.id as string, ref: row[0].partner_reference_no, amount, user };
      // The first is approved, the second declined, the rest at random; some approved ones are partly refunded.
      const approve = i === 0 ? true : i === 1 ? false : r.next() < 0.7;
      control.danaPay({ partnerReferenceNo: p.ref, outcome: approve ? 'approve' : 'decline' });
      runs.push({ p, approve, refund: 0, deliveries: [] });
    }
    for (const run of runs) run.deliveries = await sink.waitFor(run.p.ref, 1);

    // Hostile: one byte of the body changed, and a forged token. 401, nothing stored, nothing moved.
    const storedBefore = await storedCount();
    const outboxBefore = await outboxCount();
    const statusBefore = danaStatusCalls();
    const token = await sender.token();
    for (const run of runs) {
      const body = run.deliveries[0].body;
      const bytes = Buffer.from(body, 'utf8');
      const at = r.int(0, bytes.length - 1);
      bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
      const tampered = await sender.send(bytes, sender.sign(bytes, { token, externalId: notificationExternalId(r), signedBody: body }));
      tally.add('tamperedBody');
      if (tampered.status !== 401 || tampered.json?.responseCode !== '4015600')
        problems.push(`${run.p.ref}: tampered ${tampered.status} ${tampered.text}`);
      const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      const forgedRes = await sender.send(body, sender.sign(body, { token: forged, externalId: notificationExternalId(r) }));
      tally.add('forgedToken');
      if (forgedRes.status !== 401 || forgedRes.json?.responseCode !== '4015601') problems.push(`${run.p.ref}: forged ${forgedRes.status}`);
      if ((await stateOf(run.p.id)).status !== 'PENDING') problems.push(`${run.p.ref}: a hostile notification moved the purchase`);
    }
    if ((await storedCount()) !== storedBefore) problems.push('a hostile DANA notification was stored');
    if ((await outboxCount()) !== outboxBefore) problems.push('a hostile DANA notification wrote an event');
    if (danaStatusCalls() !== statusBefore) problems.push("a hostile DANA notification reached DANA's status query");

    // Genuine, replayed 10 times with the same X-EXTERNAL-ID: acknowledged every time, stored once.
    for (const run of runs) {
      const body = run.deliveries[0].body;
      const externalId = notificationExternalId(r);
      for (let k = 0; k < REPLAYS; k++) {
        const res = await sender.send(body, sender.sign(body, { token, externalId }));
        tally.add('replay');
        if (!acked(res)) problems.push(`${run.p.ref}: replay ${k} answered ${res.status} ${res.text.slice(0, 200)}`);
      }
      if ((await storedCount(run.p.ref)) !== 1)
        problems.push(`${run.p.ref}: ${await storedCount(run.p.ref)} stored rows after ${REPLAYS} replays`);
    }
    await notificationsSettled(db, {});
    for (const run of runs) {
      const want = run.approve ? 'SUCCESS' : 'FAILED';
      const got = (await stateOf(run.p.id)).status;
      if (got !== want) problems.push(`${run.p.ref}: ${got} after its notification, DANA says ${want}`);
      const history = await historyProblem(db, run.p.id);
      if (history) problems.push(`${run.p.ref}: ${history}`);
    }

    // Reordered: refunds of paid DANA payments; their notifications delivered newest first, with duplicates.
    const paid = runs.filter((x) => x.approve);
    for (const run of paid) {
      run.refund = Math.floor(run.p.amount / 3);
      const res = await env.http.post(
        `/v1/users/${run.p.user.id}/purchases/${run.p.id}/refunds`,
        { amount: run.refund, reason: 'R4 DANA refund' },
        refundsToken,
        `r4-dana-refund-${r.hex(20)}`,
      );
      if (res.status !== 201) problems.push(`${run.p.ref}: refund ${res.status} ${res.text.slice(0, 200)}`);
      run.deliveries = await sink.waitFor(run.p.ref, 2);
      const ordered = [...run.deliveries].reverse();
      for (const d of [...ordered, ...ordered.slice(0, 1)]) {
        const res2 = await sender.send(d.body, sender.sign(d.body, { token, externalId: notificationExternalId(r) }));
        tally.add('reordered');
        if (!acked(res2)) problems.push(`${run.p.ref}: reordered delivery answered ${res2.status}`);
      }
    }
    await notificationsSettled(db, {});
    for (const run of paid) {
      const state = await stateOf(run.p.id);
      if (state.status !== 'SUCCESS' || state.refunded !== run.refund)
        problems.push(`${run.p.ref}: ${state.status} refunded ${state.refunded}, in order it is SUCCESS refunded ${run.refund}`);
    }

    const recon = await reconcile(db, env.sim, clientId());
    const invariants = await invariantViolations(db);
    const minimum = { tamperedBody: DANA_PAYMENTS, forgedToken: DANA_PAYMENTS, replay: DANA_PAYMENTS * REPLAYS, reordered: 3 };
    printFigures(TEST, {
      scenario: 'dana',
      payments: runs.length,
      paid: paid.length,
      fired: tally.counts,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
      totalMs: Date.now() - started,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(tally.counts, minimum)).toEqual([]);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.unresolved).toBe(0);
    expect(invariants).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
  });
});
