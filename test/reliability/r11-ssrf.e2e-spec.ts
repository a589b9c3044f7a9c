import type { LookupAddress } from 'node:dns';
import dns from 'node:dns';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { DataSource } from 'typeorm';
import { SERVICE_SCOPES } from '../../src/clients/entities/service-client.entity';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.service';
import type { LookupAll, Resolver } from '../../src/webhooks/webhook-url.validator';
import { checkWebhookUrl, checkWebhookUrlResolved, guardLookup, isForbiddenAddress } from '../../src/webhooks/webhook-url.validator';
import { WebhooksService } from '../../src/webhooks/webhooks.service';
import type { SignedInUser } from '../support/actors';
import { registerUser, serviceToken } from '../support/actors';
import { listRoutes } from '../support/routes';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { OpenApiDoc, Schema } from './support/bad-input';
import { exampleBody, openApiPath, resolveSchema } from './support/bad-input';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import type { Rng } from './support/harness';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { isOAuthErrorBody, isStableErrorBody, OAUTH_ROUTES } from './support/http-client';

/**
 * R11 (docs/reliability.md): SSRF through partner-supplied URLs. The only URL a partner or user gives
 * the product is a webhook subscription's (an admin registers it); every other route refuses URL
 * fields, and the redirect URLs sent to DOKU are built from our own base URL.
 *
 * Generated hostile URLs, by family: private and reserved IPv4 ranges in every textual form the URL
 * parser accepts (dotted, one number in decimal or hex, octal and hex parts, short forms, trailing
 * dot, percent-encoded and full-width digits), IPv6 loopback/unspecified/unique-local/link-local and
 * IPv4 carried in IPv6, cloud metadata, local host names, host names whose DNS answers are internal
 * (a resolver the test controls: no DNS query leaves the machine), userinfo tricks, other schemes,
 * malformed text. Pass: the validator refuses every one as a function; the admin API answers 400 with
 * a stable code and stores nothing; public controls are accepted (so the test can fail both ways);
 * the delivery never follows a redirect (local servers, on the test allow-list); no other route
 * takes a URL; 0 DNS lookups of names by the process.
 */
const TEST = 'R11';
const PER_RANGE = sized(3, 20); // random addresses per private range (plus its two edges)
const PER_FAMILY = sized(6, 40); // generated cases of the smaller families
const REDIRECT_CASES = sized(10, 25);
const API_PER_FAMILY = sized(4, Infinity); // cases per family and form sent through the admin API

jest.setTimeout(sized(90_000, 600_000));

interface SsrfCase {
  family: string;
  url: string;
  /** What the test's resolver answers for the host name (a name absent here does not resolve). */
  resolves?: string[] | 'error';
}

const PUBLIC_V4 = '93.184.216.34';

// [first address, prefix length] of the private, loopback, link-local and metadata ranges, and of other reserved ones.
const PRIVATE_V4: Array<[string, number]> = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['0.0.0.0', 8],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
];

const toInt = (dotted: string) => dotted.split('.').reduce((n, p) => n * 256 + Number(p), 0);
const octets = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const dotted = (n: number) => octets(n).join('.');
const hex4 = (n: number) => [(n >>> 16).toString(16), (n & 0xffff).toString(16)].join(':');

/** The textual forms WHATWG URL parsing turns into the same IPv4 address. */
function v4Forms(n: number): Array<[string, string]> {
  const [a, b, c, d] = octets(n) as [number, number, number, number];
  const fullWidth = (s: string) => s.replace(/\d/g, (x) => String.fromCharCode(0xff10 + Number(x))).replace(/\./g, '\u3002');
  return [
    ['dotted', dotted(n)],
    ['decimal', String(n)],
    ['hex', `0x${n.toString(16)}`],
    [
      'octalParts',
      octets(n)
        .map((o) => `0${o.toString(8)}`)
        .join('.'),
    ],
    [
      'hexParts',
      octets(n)
        .map((o) => `0x${o.toString(16)}`)
        .join('.'),
    ],
    ['threeParts', `${a}.${b}.${c * 256 + d}`],
    ['twoParts', `${a}.${b * 65536 + c * 256 + d}`],
    ['mixed', `0x${a.toString(16)}.0${b.toString(8)}.${c * 256 + d}`],
    ['trailingDot', `${dotted(n)}.`],
    ['percentEncoded', dotted(n).replace(/\d/, (x) => `%3${x}`)],
    ['fullWidth', fullWidth(dotted(n))],
    ['mappedV6', `[::ffff:${dotted(n)}]`],
    ['mappedV6Hex', `[::ffff:${hex4(n)}]`],
    ['nat64', `[64:ff9b::${dotted(n)}]`],
    ['sixToFour', `[2002:${hex4(n)}::1]`],
  ];
}

function randomIn(rng: Rng, [net, prefix]: [string, number]): number {
  const size = 2 ** (32 - prefix);
  return toInt(net) + rng.int(0, size - 1);
}

/** Scheme, host, maybe a port, a path: `https://<host>[:port]/<path>`. */
function url(rng: Rng, host: string, scheme = 'https'): string {
  const port = rng.next() < 0.3 ? `:${rng.pick([443, 8443, 80, 8080, 6379, 2375])}` : '';
  return `${scheme}://${host}${port}/${rng.pick(['', 'hook', 'latest/meta-data/iam/security-credentials/', 'admin?x=1', 'v1/doku'])}`;
}

function ssrfCases(rng: Rng): SsrfCase[] {
  const out: SsrfCase[] = [];
  // Private and reserved IPv4, every form.
  for (const range of PRIVATE_V4) {
    const size = 2 ** (32 - range[1]);
    const addresses = [toInt(range[0]), toInt(range[0]) + size - 1, ...Array.from({ length: PER_RANGE }, () => randomIn(rng, range))];
    for (const n of addresses) for (const [form, host] of v4Forms(n)) out.push({ family: `v4:${form}`, url: url(rng, host) });
  }
  // Cloud metadata.
  for (const [form, host] of v4Forms(toInt('169.254.169.254')))
    out.push({ family: `metadata:${form}`, url: `https://${host}/latest/meta-data/` });
  for (const host of [
    'metadata.google.internal',
    'METADATA.GOOGLE.INTERNAL',
    'metadata.google.internal.',
    'metadata',
    'instance-data',
    'instance-data.ec2.internal',
    '[fd00:ec2::254]',
  ]) {
    out.push({ family: 'metadata:name', url: url(rng, host) });
  }
  out.push({ family: 'metadata:name', url: 'https://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token' });
  // IPv6.
  const h16 = () => rng.int(0, 0xffff).toString(16);
  const v6 = [
    '::1',
    '0:0:0:0:0:0:0:1',
    '0000:0000:0000:0000:0000:0000:0000:0001',
    '::0:1',
    '::',
    '0::0',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:127.0.0.1',
    '::127.0.0.1',
    ...Array.from({ length: PER_FAMILY }, () => `fc${rng.hex(2)}:${h16()}::${h16()}`),
    ...Array.from({ length: PER_FAMILY }, () => `fd${rng.hex(2)}:${h16()}:${h16()}::${h16()}`),
    ...Array.from({ length: PER_FAMILY }, () => `fe${rng.pick(['8', '9', 'a', 'b'])}${rng.hex(1)}::${h16()}:${h16()}`),
    ...Array.from({ length: PER_FAMILY }, () => `FE80::${h16().toUpperCase()}`),
  ];
  for (const host of v6) out.push({ family: 'v6', url: url(rng, `[${host}]`) });
  // Local and internal names (no DNS needed to refuse them).
  for (const host of [
    'localhost',
    'LOCALHOST',
    'localhost.',
    `${rng.hex(6)}.localhost`,
    `${rng.hex(6)}.local`,
    `db.${rng.hex(4)}.internal`,
    `${rng.hex(6)}.localdomain`,
    `router.home.arpa`,
    // A single-label name. Starting with a letter: eight random hex digits can all be decimal, and
    // then the URL parser reads the label as an IPv4 number (95475592 is 5.176.215.136, public).
    `n${rng.hex(7)}`,
  ]) {
    out.push({ family: 'localName', url: url(rng, host) });
  }
  // Names whose DNS answers are internal, or mixed (DNS rebinding needs only one), or nothing.
  for (let i = 0; i < PER_FAMILY; i++) {
    const inside = dotted(randomIn(rng, rng.pick(PRIVATE_V4)));
    const host = `${rng.hex(8)}.partner.example`;
    const answer = rng.pick([
      [inside],
      [PUBLIC_V4, inside],
      ['::1'],
      [`::ffff:${inside}`],
      [`fd${rng.hex(2)}::1`],
      ['fe80::1'],
      [],
      'error',
    ] as const);
    out.push({ family: 'dnsName', url: url(rng, host), resolves: answer === 'error' ? 'error' : [...answer] });
  }
  out.push({ family: 'dnsName', url: 'https://localtest.me/', resolves: ['127.0.0.1'] });
  out.push({ family: 'dnsName', url: 'https://169.254.169.254.nip.io/', resolves: ['169.254.169.254'] });
  out.push({ family: 'dnsName', url: 'https://127.0.0.1.partner.example/', resolves: ['127.0.0.1'] });
  // Userinfo tricks.
  for (let i = 0; i < PER_FAMILY; i++) {
    const inside = dotted(randomIn(rng, rng.pick(PRIVATE_V4)));
    const good = `${rng.hex(6)}.example`;
    out.push({
      family: 'userinfo',
      url: rng.pick([
        `https://${good}@${inside}/`,
        `https://${good}:${rng.hex(6)}@${inside}/`,
        `https://${good}@${String(toInt(inside))}/`,
        `https://${inside}@${good}/`,
        `https://user@${good}/`,
        `https://${good}%40${inside}/`,
        `https://${good}&@${inside}/`,
        `https://a@${good}@${inside}/`,
        `https://${good}%2F@${inside}/`,
        `https://${good}:443@${inside}/`,
      ]),
    });
  }
  out.push({ family: 'userinfo', url: 'https://good.example@127.0.0.1/' });
  // Other schemes, to internal and to public hosts.
  for (const scheme of ['http', 'ftp', 'file', 'gopher', 'dict', 'ldap', 'ws', 'wss', 'sftp', 'tftp', 'smtp', 'redis']) {
    out.push({ family: 'scheme', url: url(rng, rng.pick(['hooks.partner.example', PUBLIC_V4, '127.0.0.1', '10.0.0.1']), scheme) });
  }
  for (const raw of [
    'javascript:alert(1)',
    'data:text/plain,x',
    'file:///etc/passwd',
    'jar:https://hooks.partner.example!/',
    'view-source:https://hooks.partner.example/',
    'blob:https://hooks.partner.example/x',
    'https:127.0.0.1',
    'https:///127.0.0.1/',
  ]) {
    out.push({ family: 'scheme', url: raw });
  }
  // Malformed text that parsers read differently.
  for (const raw of [
    'https://hooks.partner.example\\@127.0.0.1/',
    'https:/\\/127.0.0.1/',
    'https://hooks.partner.example /x',
    'https://hooks.partner.example/\u0000',
    'https://127.0.0.1%00.hooks.partner.example/',
    'https://127.0.0.1#@hooks.partner.example/',
    `https://hooks.partner.example/${'a'.repeat(2100)}`,
    '',
  ]) {
    out.push({ family: 'malformed', url: raw });
  }
  return out;
}

/** URLs that must be accepted: public neighbours of the ranges, and a public name. */
function controls(): SsrfCase[] {
  const out: SsrfCase[] = [];
  for (const [net, prefix] of PRIVATE_V4) {
    const first = toInt(net);
    const after = first + 2 ** (32 - prefix);
    if (first > 0 && !isForbiddenAddress(dotted(first - 1))) out.push({ family: 'control', url: `https://${dotted(first - 1)}/hook` });
    if (after < 2 ** 32 && !isForbiddenAddress(dotted(after))) out.push({ family: 'control', url: `https://${dotted(after)}/hook` });
  }
  out.push({ family: 'control', url: 'https://hooks.partner.example/doku-wallet', resolves: [PUBLIC_V4] });
  out.push({ family: 'control', url: 'https://[2606:2800:220:1:248:1893:25c8:1946]/hook' });
  return out;
}

/** A partner endpoint on 127.0.0.1 that answers every request with a redirect (or 200 on its own paths). */
class LocalServer {
  readonly requests: string[] = [];
  readonly redirects = new Map<string, { status: number; location: string }>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '/';
        this.requests.push(path);
        const redirect = this.redirects.get(path);
        if (redirect) res.writeHead(redirect.status, { location: redirect.location }).end();
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('R11: SSRF through partner-supplied URLs', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  const cases = ssrfCases(rng.fork('cases'));
  const accepted = controls();
  const answers = new Map<string, string[] | 'error'>();
  for (const c of [...cases, ...accepted]) {
    if (!c.resolves) continue;
    const host = new URL(c.url).hostname.replace(/\.$/, '');
    answers.set(host, c.resolves);
  }
  /** The test's DNS: the answers above, nothing else; every question is recorded. */
  const questions: string[] = [];
  const fakeResolver: Resolver = async (host) => {
    questions.push(host);
    const answer = answers.get(host);
    if (answer === undefined || answer === 'error') throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  const fakeLookupAll: LookupAll = (host, _options, callback) => {
    fakeResolver(host).then(
      (addresses) =>
        callback(
          null,
          addresses.map((address): LookupAddress => ({ address, family: isIP(address) })),
        ),
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
  /** Host names the process itself asked the system resolver about (must stay empty). */
  const systemLookups: string[] = [];
  const spies: jest.SpyInstance[] = [];
  const started = Date.now();

  beforeAll(() => {
    const record = (host: unknown) => {
      if (typeof host === 'string' && isIP(host) === 0) systemLookups.push(host);
    };
    const lookup = dns.lookup.bind(dns);
    const promisesLookup = dns.promises.lookup.bind(dns.promises);
    spies.push(
      jest.spyOn(dns, 'lookup').mockImplementation((host: string, ...rest: unknown[]) => {
        record(host);
        return (lookup as (...args: unknown[]) => unknown)(host, ...rest);
      }),
      jest.spyOn(dns.promises, 'lookup').mockImplementation(((host: string, ...rest: unknown[]) => {
        record(host);
        return (promisesLookup as (...args: unknown[]) => unknown)(host, ...rest);
      }) as typeof dns.promises.lookup),
    );
  });
  afterAll(() => {
    for (const s of spies) s.mockRestore();
  });

  it(`the validator, as a function, refuses ${cases.length} generated hostile URLs and accepts ${accepted.length} public controls`, async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const byFamily: Record<string, { cases: number; refusedByRules: number; refusedByDns: number }> = {};
    for (const c of cases) {
      const family = c.family.split(':')[0];
      const f = (byFamily[family] ??= { cases: 0, refusedByRules: 0, refusedByDns: 0 });
      f.cases++;
      tally.add(family);
      const rules = checkWebhookUrl(c.url);
      const resolved = await checkWebhookUrlResolved(c.url, [], fakeResolver);
      if (!rules.ok) f.refusedByRules++;
      else if (!resolved.ok) f.refusedByDns++;
      if (resolved.ok) problems.push(`${c.family}: accepted ${JSON.stringify(c.url.slice(0, 120))} (host ${resolved.url.hostname})`);
    }
    for (const c of accepted) {
      tally.add('control');
      const resolved = await checkWebhookUrlResolved(c.url, [], fakeResolver);
      if (!resolved.ok) problems.push(`control refused: ${c.url} (${resolved.reason})`);
      else tally.add('controlAccepted');
    }

    // At connect time (a DNS answer that changed after the check): the delivery agent's lookup refuses too.
    const connect = (host: string) =>
      new Promise<string>((resolve) =>
        guardLookup(fakeLookupAll)(host, { all: true }, (error, address) => resolve(error ? String(error.code) : JSON.stringify(address))),
      );
    for (const c of cases.filter((x) => x.family === 'dnsName')) {
      const outcome = await connect(new URL(c.url).hostname);
      tally.add('connectChecked');
      if (outcome !== 'WEBHOOK_ADDRESS_REFUSED' && outcome !== 'ENOTFOUND') problems.push(`connect to ${c.url}: ${outcome}`);
    }
    const publicConnect = await connect('hooks.partner.example');
    if (!publicConnect.includes(PUBLIC_V4)) problems.push(`connect to a public name: ${publicConnect}`);

    const fired = tally.counts;
    const minimum = {
      v4: PRIVATE_V4.length * 15,
      metadata: 15,
      v6: 10,
      localName: 5,
      dnsName: PER_FAMILY,
      userinfo: PER_FAMILY,
      scheme: 10,
      malformed: 5,
      control: 5,
      connectChecked: PER_FAMILY,
    };
    printFigures(TEST, {
      scenario: 'validatorFunction',
      cases: cases.length,
      controls: accepted.length,
      faultsFired: fired,
      byFamily,
      dnsQuestionsToTheTestResolver: questions.length,
      problems: problems.length,
      ms: Date.now() - t0,
    });
    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
  });

  describe('through the app', () => {
    let env: ReliabilityEnv;
    let db: DataSource;
    let admin: SignedInUser;
    let finance: SignedInUser;
    let support: SignedInUser;
    let walletUser: SignedInUser;
    let service: { token: string };
    const receiver = new LocalServer();
    const trap = new LocalServer();
    const subscriptionCount = async () =>
      (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM webhook_subscriptions WHERE deleted_at IS NULL`))[0].n;

    beforeAll(async () => {
      await receiver.start();
      await trap.start();
      env = await startReliabilityEnv({
        sim: { seed: `${RELIABILITY_SEED}:${TEST}` },
        env: {
          WEBHOOKS_TIMEOUT_MS: '3000',
          WEBHOOKS_BATCH_SIZE: '200',
          // Test mode: plain http to these two local servers only. The trap is allowed too, so the only
          // thing keeping it silent is that the delivery does not follow redirects.
          WEBHOOK_ALLOW_INSECURE_TARGETS: `127.0.0.1:${receiver.port},127.0.0.1:${trap.port}`,
        },
      });
      db = env.t.app.get(DataSource);
      env.t.app.get(WebhooksService).resolver = fakeResolver;
      env.t.app.get(WebhookDispatcher).resolver = fakeResolver;
      admin = await registerUser(env.t, 'admin');
      finance = await registerUser(env.t, 'finance');
      support = await registerUser(env.t, 'support');
      walletUser = await registerUser(env.t);
      await createBoundWallet(env, walletUser);
      service = await serviceToken(env.t, [...SERVICE_SCOPES]);
    });
    afterAll(async () => {
      await env?.close();
      await receiver.close();
      await trap.close();
    });

    it(`the delivery never follows a redirect: ${REDIRECT_CASES} subscriptions answering 3xx towards a trap`, async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const trapUrls = (path: string) => [
        `http://127.0.0.1:${trap.port}${path}`,
        `http://2130706433:${trap.port}${path}`,
        `http://0x7f.1:${trap.port}${path}`,
        `//127.0.0.1:${trap.port}${path}`,
        path, // relative: back to the receiver itself
      ];
      const plans = Array.from({ length: REDIRECT_CASES }, (_, i) => {
        const status = rng.pick([301, 302, 303, 307, 308]);
        const to = `/followed-${i}-${rng.hex(6)}`;
        return { path: `/r11-redirect-${i}-${rng.hex(6)}`, status, to, location: rng.pick(trapUrls(to)) };
      });
      const subscriptions: string[] = [];
      for (const p of plans) {
        receiver.redirects.set(p.path, { status: p.status, location: p.location });
        const res = await env.http.post(
          '/v1/admin/webhooks',
          { url: `http://127.0.0.1:${receiver.port}${p.path}`, description: 'R11 redirect' },
          admin.accessToken,
        );
        if (res.status !== 201) throw new Error(`subscription: ${res.status} ${res.text}`);
        subscriptions.push(res.json.id as string);
      }
      // Only local subscriptions exist: a delivery run cannot send a packet off the machine.
      const urls = await db.query<Array<{ url: string }>>(`SELECT url FROM webhook_subscriptions WHERE deleted_at IS NULL`);
      const foreign = urls.filter((u) => !u.url.startsWith(`http://127.0.0.1:${receiver.port}/`));
      if (foreign.length) throw new Error(`non-local subscriptions: ${JSON.stringify(foreign)}`);
      await db.query(
        `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload) VALUES ('transaction.status_changed', 'transaction', $1, NULL, '{}'::jsonb)`,
        [randomUUID()],
      );
      const run = await env.t.app.get(WebhookDispatcher).runOnce();
      await new Promise((r) => setTimeout(r, 300));

      for (const [i, p] of plans.entries()) {
        tally.add(`redirect${p.status}`);
        const rows = await db.query<
          Array<{
            attempts: number;
            last_status_code: number | null;
            last_error: string | null;
            status: string;
          }>
        >(`SELECT attempts, last_status_code, last_error, status FROM webhook_deliveries WHERE subscription_id = $1`, [subscriptions[i]]);
        const row = rows[0];
        if (
          rows.length !== 1 ||
          !row ||
          row.attempts !== 1 ||
          row.last_status_code !== p.status ||
          row.last_error !== `HTTP_${p.status}` ||
          row.status === 'DELIVERED'
        ) {
          problems.push(`${p.path} (${p.status} to ${p.location}): ${JSON.stringify(rows)}`);
        } else tally.add('redirectRefused');
        const hits = receiver.requests.filter((r) => r === p.path).length;
        if (hits !== 1) problems.push(`${p.path}: ${hits} requests at the receiver`);
        if (receiver.requests.includes(p.to)) problems.push(`${p.path}: the relative redirect to ${p.to} was followed`);
      }
      if (trap.requests.length) problems.push(`the trap got ${trap.requests.length} requests: ${trap.requests.slice(0, 5).join(', ')}`);
      // The subscriptions end here: nothing more is ever sent to them.
      for (const id of subscriptions) await env.http.send('DELETE', `/v1/admin/webhooks/${id}`, { token: admin.accessToken });

      const fired = tally.counts;
      const minimum = { redirectRefused: REDIRECT_CASES };
      printFigures(TEST, {
        scenario: 'redirects',
        subscriptions: REDIRECT_CASES,
        run,
        faultsFired: fired,
        receiverRequests: receiver.requests.length,
        trapRequests: trap.requests.length,
        problems: problems.length,
        ms: Date.now() - t0,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      expect(trap.requests).toEqual([]);
    });

    it(`the admin API refuses hostile webhook URLs of every family and form with 400 and a stable code, stores none, and accepts the controls`, async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const http5xxBefore = env.http.serverErrors;
      const before = await subscriptionCount();
      const codes = new Tally();
      // Every family and form goes through the API; the reduced size sends a seeded sample of each.
      const perForm = new Tally();
      const apiCases = rng.shuffle(cases).filter((c) => {
        perForm.add(c.family);
        return perForm.get(c.family) <= API_PER_FAMILY;
      });
      for (const c of apiCases) {
        const res = await env.http.post('/v1/admin/webhooks', { url: c.url, description: `R11 ${c.family}` }, admin.accessToken);
        tally.add(c.family.split(':')[0]);
        if (
          res.status === 400 &&
          isStableErrorBody(res.json) &&
          ['WEBHOOK.URL_REFUSED', 'REQUEST.VALIDATION_FAILED'].includes(res.json.error.code)
        ) {
          tally.add('refused400');
          codes.add(res.json.error.code);
        } else {
          problems.push(`${c.family} ${JSON.stringify(c.url.slice(0, 120))}: ${res.status} ${res.text.slice(0, 200)}`);
          // Never leave a wrongly accepted URL where a delivery could reach it.
          if (res.status === 201) await env.http.send('DELETE', `/v1/admin/webhooks/${res.json.id}`, { token: admin.accessToken });
        }
      }
      const after = await subscriptionCount();
      if (after !== before) problems.push(`${after - before} subscriptions stored for refused URLs`);
      for (const c of accepted) {
        const res = await env.http.post('/v1/admin/webhooks', { url: c.url, description: 'R11 control' }, admin.accessToken);
        if (res.status !== 201) problems.push(`control ${c.url}: ${res.status} ${res.text.slice(0, 200)}`);
        else {
          tally.add('controlAccepted');
          await env.http.send('DELETE', `/v1/admin/webhooks/${res.json.id}`, { token: admin.accessToken });
        }
      }
      const serverErrors = env.http.serverErrors - http5xxBefore;
      const fired = tally.counts;
      const minimum = { refused400: apiCases.length, controlAccepted: accepted.length };
      printFigures(TEST, {
        scenario: 'adminApi',
        cases: apiCases.length,
        families: Object.keys(perForm.counts).length,
        faultsFired: fired,
        codes: codes.counts,
        subscriptionsStored: after - before,
        serverErrors,
        problems: problems.length,
        ms: Date.now() - t0,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      expect(serverErrors).toBe(0);
    });

    it('no other route takes a URL: URL fields are refused everywhere with 0 DOKU calls, and every redirect URL sent to DOKU is ours', async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const http5xxBefore = env.http.serverErrors;
      const doc = (await env.http.get('/docs/openapi.json')).json as OpenApiDoc;
      const URLISH = /(url|uri|href|redirect|callback|webhook|return|notify|endpoint|host|link)/i;
      const NOT_URLS = new Set(['linkId']);
      // The webhook URL is the one the server itself calls; a service client's app return link is where
      // our customer pages send the customer's browser (never fetched here), checked as an app link.
      const EXPECTED = ['POST /v1/admin/service-clients appReturnUrl', 'POST /v1/admin/webhooks url'];

      // 1. The contract: which request fields could carry a URL.
      const fields: string[] = [];
      const walk = (schema: Schema | undefined, prefix: string, route: string, depth = 0) => {
        const s = resolveSchema(doc, schema);
        if (!s || depth > 4) return;
        for (const [name, prop] of Object.entries(s.properties ?? {})) {
          // A URL can only arrive as text: a boolean or number named like one (returnToApp) carries none.
          const type = resolveSchema(doc, prop)?.type;
          const textual = type !== 'boolean' && type !== 'integer' && type !== 'number';
          if (URLISH.test(name) && !NOT_URLS.has(name) && textual) fields.push(`${route} ${prefix}${name}`);
          walk(prop, `${prefix}${name}.`, route, depth + 1);
        }
        if (s.items) walk(s.items, prefix, route, depth + 1);
      };
      const routes = listRoutes(env.t.app);
      const jsonRoutes = routes.filter((r) => {
        const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
        return ['POST', 'PUT', 'PATCH'].includes(r.method) && !!op?.requestBody?.content?.['application/json']?.schema;
      });
      for (const r of jsonRoutes)
        walk(
          doc.paths[openApiPath(r.path)][r.method.toLowerCase()].requestBody!.content!['application/json'].schema,
          '',
          `${r.method} ${r.path}`,
        );
      for (const r of routes) {
        for (const p of doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()]?.parameters ?? []) {
          if (p.in === 'query' && URLISH.test(p.name) && !NOT_URLS.has(p.name)) fields.push(`${r.method} ${r.path} ?${p.name}`);
        }
      }
      if (JSON.stringify(fields.sort()) !== JSON.stringify(EXPECTED))
        problems.push(`URL-like inputs ${JSON.stringify(fields)}, expected ${JSON.stringify(EXPECTED)}`);

      // 2. Every JSON route with URL fields added (top level and in additionalInfo): 400, DOKU never called.
      const tokenFor = (route: (typeof routes)[number]): string | undefined => {
        if (route.isPublic) return undefined;
        const roles = route.rule?.roles ?? [];
        if (roles.includes('user')) return walletUser.accessToken;
        if (roles.includes('admin')) return admin.accessToken;
        if (roles.includes('finance')) return finance.accessToken;
        if (roles.includes('support')) return support.accessToken;
        return service.token;
      };
      const names = [
        'redirectUrl',
        'callbackUrl',
        'returnUrl',
        'notifyUrl',
        'webhookUrl',
        'successUrl',
        'failureUrl',
        'url',
        'nextAction',
        'successPaymentUrl',
        'urlParams',
      ];
      const hostile = cases.filter((c) => c.url.length < 300 && c.url.length > 0);
      for (const route of jsonRoutes) {
        const op = doc.paths[openApiPath(route.path)][route.method.toLowerCase()];
        const base = exampleBody(doc, op.requestBody!.content!['application/json'].schema) ?? {};
        const idempotent = (op.parameters ?? []).some((p) => p.name.toLowerCase() === 'idempotency-key');
        const path = route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => (name === 'userId' ? walletUser.id : randomUUID()));
        for (const nested of [false, true]) {
          const name = rng.pick(names.filter((n) => !(n in base)));
          const value = name === 'urlParams' ? [{ url: rng.pick(hostile).url, type: 'PAY_RETURN' }] : rng.pick(hostile).url;
          const body = nested ? { ...base, additionalInfo: { [name]: value } } : { ...base, [name]: value };
          const dokuBefore = env.simCallCount();
          const res: RawResponse = await env.http.send(route.method, path, {
            body,
            token: tokenFor(route),
            idempotencyKey: idempotent ? `r11-${rng.hex(20)}` : undefined,
          });
          const dokuCalls = env.simCallCount() - dokuBefore;
          tally.add('urlFieldInjected');
          const label = `${route.method} ${route.path} ${nested ? 'additionalInfo.' : ''}${name}`;
          // Refused for the URL field itself, not for something else in the body.
          // The token endpoint answers in RFC 6749's format and names the fields in its description.
          const oauth = OAUTH_ROUTES.has(`${route.method} ${route.path}`);
          const flagged = oauth
            ? String(res.json?.error_description ?? '')
                .replace(/^[^:]*:\s*/, '')
                .split(/,\s*/)
            : ((res.json?.error?.details?.fields ?? []) as Array<{ field: string }>).map((f) => f.field);
          const forTheField = flagged.some((f) => f === name || f === 'additionalInfo' || f === `additionalInfo.${name}`);
          const refusedAsInvalid = oauth
            ? isOAuthErrorBody(res.json) && res.json.error === 'invalid_request'
            : isStableErrorBody(res.json) && res.json.error.code === 'REQUEST.VALIDATION_FAILED';
          if (res.status !== 400 || !refusedAsInvalid || !forTheField) {
            problems.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
          } else tally.add('refused400');
          if (dokuCalls !== 0) problems.push(`${label}: ${dokuCalls} DOKU calls`);
        }
      }

      // 3. What the product itself hands DOKU: a registration, a binding (done in setup) and a purchase, all to our own base URL.
      const registrant = await registerUser(env.t);
      const reg = await env.http.post('/v1/wallet/registrations', {}, registrant.accessToken);
      if (reg.status !== 201) problems.push(`registration: ${reg.status} ${reg.text.slice(0, 200)}`);
      const purchase = await env.http.post(
        '/v1/purchases',
        { amount: 12_345, description: 'R11' },
        walletUser.accessToken,
        `r11-${rng.hex(20)}`,
      );
      if (purchase.status !== 201) problems.push(`purchase: ${purchase.status} ${purchase.text.slice(0, 200)}`);
      const ours = `${env.t.config.app.publicBaseUrl}/`;
      const sentToDoku: Array<[string, string | undefined]> = [
        ...[...env.sim.state.registrations.values()].map((r): [string, string | undefined] => ['registration.redirectUrl', r.redirectUrl]),
        ...[...env.sim.state.bindings.values()].map((b): [string, string | undefined] => ['binding.redirectUrl', b.redirectUrl]),
        ...[...env.sim.state.purchases.values()].flatMap((p): Array<[string, string | undefined]> => [
          ['purchase.returnUrl', p.returnUrl],
          ...(p.notifyUrl ? [['purchase.notifyUrl', p.notifyUrl] as [string, string]] : []),
        ]),
      ];
      for (const [what, sent] of sentToDoku) {
        tally.add(what.split('.')[0]);
        if (!sent?.startsWith(ours)) problems.push(`${what} sent to DOKU: ${sent}`);
      }

      const serverErrors = env.http.serverErrors - http5xxBefore;
      const fired = { ...tally.counts, jsonRoutes: jsonRoutes.length };
      const minimum = { jsonRoutes: 15, urlFieldInjected: 30, registration: 1, binding: 1, purchase: 1 };
      printFigures(TEST, {
        scenario: 'otherInputs',
        urlInputsInContract: fields,
        faultsFired: fired,
        redirectUrlsSentToDoku: sentToDoku.length,
        systemDnsLookups: systemLookups.length,
        serverErrors,
        problems: problems.length,
        ms: Date.now() - t0,
        totalMs: Date.now() - started,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      expect(serverErrors).toBe(0);
      // No DNS question about a name was asked of the system resolver in this file: no packet left the machine.
      expect(systemLookups).toEqual([]);
    });
  });
});
