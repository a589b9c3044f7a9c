import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * SSRF rules for partner-supplied webhook URLs (docs/reliability.md, R11), applied when a
 * subscription is registered, again before each delivery (DNS answers change), and at connect time
 * (the resolver used by the delivery agent refuses the same addresses, so DNS rebinding between the
 * check and the connection cannot reach an internal address either).
 *
 * Parsing is WHATWG `new URL`, the same parser the HTTP client uses, so there is one reading of the
 * URL: `https://good.com@127.0.0.1` has userinfo, `http://2130706433` and `https://0x7f.1` are
 * 127.0.0.1, `https://[::ffff:7f00:1]` is IPv4-mapped 127.0.0.1.
 */
export type WebhookUrlCheck = { ok: true; url: URL; insecureAllowed: boolean } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

/** Names that always mean "this machine" or "this cloud" (RFC 6761, RFC 6762, cloud metadata). */
const FORBIDDEN_HOSTNAMES = new Set(['localhost', 'metadata.google.internal', 'metadata', 'instance-data']);
const FORBIDDEN_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa'];

// [network, prefix length]
const FORBIDDEN_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast 255.255.255.255
];

const FORBIDDEN_V6: Array<[string, number]> = [
  ['::', 96], // unspecified, loopback ::1, IPv4-compatible (deprecated)
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo (embeds an obfuscated IPv4)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

/** The URL alone, no DNS: scheme, userinfo, host name and IP literal rules. */
export function checkWebhookUrl(raw: string, allowInsecureTargets: readonly string[] = []): WebhookUrlCheck {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_LENGTH) return refuse('the URL is empty or too long');
  // Control characters and spaces are stripped or encoded differently by different parsers.
  if (/[\p{Cc} \\]/u.test(raw)) return refuse('the URL contains spaces, control characters or backslashes');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('the URL is not valid');
  }
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(raw)) {
    return refuse('the URL must not contain user information');
  }
  if (url.hash !== '') return refuse('the URL must not contain a fragment');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('the URL must use https');
  if (url.port === '0') return refuse('the URL port is not valid');

  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (allowInsecureTargets.includes(`${url.hostname}:${port}`)) return { ok: true, url, insecureAllowed: true };

  if (url.protocol !== 'https:') return refuse('the URL must use https');
  const host = url.hostname;
  if (host.startsWith('[')) {
    const address = host.slice(1, -1);
    return isForbiddenAddress(address)
      ? refuse('the URL points to a private, loopback, link-local or reserved address')
      : { ok: true, url, insecureAllowed: false };
  }
  if (isIPv4(host)) {
    return isForbiddenAddress(host)
      ? refuse('the URL points to a private, loopback, link-local or reserved address')
      : { ok: true, url, insecureAllowed: false };
  }
  const name = host.replace(/\.$/, '');
  if (name === '' || name.startsWith('.') || name.includes('..')) return refuse('the URL host is not valid');
  if (FORBIDDEN_HOSTNAMES.has(name) || FORBIDDEN_SUFFIXES.some((s) => name.endsWith(s))) {
    return refuse('the URL points to a local or internal host name');
  }
  // A single label resolves through the resolver's search domains, i.e. to internal hosts.
  if (!name.includes('.')) return refuse('the URL host must be a fully qualified domain name');
  return { ok: true, url, insecureAllowed: false };
}

export type Resolver = (hostname: string) => Promise<string[]>;

/** Every address the system resolver gives for `hostname` (what the connection would use). */
export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses.map((a) => a.address));
    });
  });

/** The URL rules, then the host name's DNS answers: any forbidden address refuses the URL. */
export async function checkWebhookUrlResolved(
  raw: string,
  allowInsecureTargets: readonly string[] = [],
  resolver: Resolver = systemResolver,
): Promise<WebhookUrlCheck> {
  const check = checkWebhookUrl(raw, allowInsecureTargets);
  if (!check.ok || check.insecureAllowed) return check;
  const host = check.url.hostname;
  if (host.startsWith('[') || isIPv4(host)) return check;
  let addresses: string[];
  try {
    addresses = await resolver(host.replace(/\.$/, ''));
  } catch {
    return refuse('the URL host name does not resolve');
  }
  if (addresses.length === 0) return refuse('the URL host name does not resolve');
  if (addresses.some((a) => isForbiddenAddress(a)))
    return refuse('the URL host name resolves to a private, loopback, link-local or reserved address');
  return check;
}

/** Every address of a host name in one callback: `dns.lookup` with `all: true`, or a stand-in in tests. */
export type LookupAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for `net.connect`/`tls.connect` (the delivery agent's connector): resolves with
 * `lookupAll` (the system resolver by default) and refuses the connection when any answer is a
 * forbidden address.
 */
export type GuardedLookup = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

export function guardLookup(lookupAll: LookupAll = (hostname, options, callback) => dnsLookup(hostname, options, callback)): GuardedLookup {
  return (hostname, options, callback) => {
    lookupAll(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0 || addresses.some((a) => isForbiddenAddress(a.address))) {
        const refused: NodeJS.ErrnoException = new Error(`Refused to connect to ${hostname}: forbidden address`);
        refused.code = 'WEBHOOK_ADDRESS_REFUSED';
        return callback(refused, '', 0);
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** {@link guardLookup} over the system resolver: what the delivery agent uses. */
export const guardedLookup: GuardedLookup = guardLookup();

/** True for an IP address (v4 or v6, without brackets) we never connect to. Not an IP: true. */
export function isForbiddenAddress(address: string): boolean {
  if (isIPv4(address)) return inV4List(ipv4ToInt(address));
  if (!isIPv6(address)) return true;
  const bytes = ipv6ToBytes(address);
  if (!bytes) return true;
  const embedded = embeddedIpv4(bytes);
  if (embedded !== null) return inV4List(embedded);
  return FORBIDDEN_V6.some(([net, prefix]) => prefixMatches(bytes, ipv6ToBytes(net)!, prefix));
}

function refuse(reason: string): WebhookUrlCheck {
  return { ok: false, reason };
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inV4List(ip: number): boolean {
  return FORBIDDEN_V4.some(([net, prefix]) => {
    const size = 2 ** (32 - prefix);
    const base = ipv4ToInt(net);
    return ip >= base && ip < base + size;
  });
}

/** IPv4 carried inside IPv6: mapped ::ffff:a.b.c.d, SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::. */
function embeddedIpv4(b: number[]): number | null {
  const tail = (from: number) => ((b[from] << 24) >>> 0) + (b[from + 1] << 16) + (b[from + 2] << 8) + b[from + 3];
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return tail(12);
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return tail(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return tail(12);
  if (b[0] === 0x20 && b[1] === 0x02) return tail(2);
  return null;
}

function prefixMatches(bytes: number[], net: number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
}

/** 16 bytes of an IPv6 address (with `::` and a dotted IPv4 tail allowed), or null. */
function ipv6ToBytes(address: string): number[] | null {
  if (address.includes('%')) return null;
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tailBytes: number[] = [];
  if (v4) {
    if (!isIPv4(v4[1])) return null;
    tailBytes = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const groupsNeeded = 8 - tailBytes.length / 2;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = groupsNeeded - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return [...bytes, ...tailBytes];
}
