import type { LookupAddress } from 'node:dns';
import type { Resolver } from './webhook-url.validator';
import { checkWebhookUrl, checkWebhookUrlResolved, guardedLookup, isForbiddenAddress } from './webhook-url.validator';

/** R11 (docs/reliability.md) for webhook URLs, as functions: no DNS query and no packet leaves the machine. */
describe('webhook URL validation (R11, SSRF)', () => {
  const refused = (url: string, allow: string[] = []) => checkWebhookUrl(url, allow).ok === false;

  it('accepts a public https URL', () => {
    const check = checkWebhookUrl('https://hooks.partner.example/doku?x=1');
    expect(check).toMatchObject({ ok: true, insecureAllowed: false });
  });

  it('refuses every scheme but https', () => {
    for (const url of [
      'http://hooks.partner.example/',
      'ftp://hooks.partner.example/',
      'file:///etc/passwd',
      'gopher://hooks.partner.example/',
      'javascript:alert(1)',
      'data:text/plain,x',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
  });

  it('refuses private, loopback, link-local, metadata, CGNAT, zero, multicast and reserved IPv4 literals', () => {
    for (const url of [
      'https://10.0.0.1/',
      'https://10.255.255.255/',
      'https://172.16.0.1/',
      'https://172.31.255.254/',
      'https://192.168.1.1/',
      'https://127.0.0.1/',
      'https://127.1.2.3:8443/',
      'https://169.254.169.254/latest/meta-data/',
      'https://169.254.0.1/',
      'https://100.64.0.1/',
      'https://100.127.255.255/',
      'https://0.0.0.0/',
      'https://0.1.2.3/',
      'https://224.0.0.1/',
      'https://239.255.255.250/',
      'https://255.255.255.255/',
      'https://240.0.0.1/',
      'https://198.18.0.1/',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
  });

  it('keeps the edges of the ranges: public neighbours are accepted', () => {
    for (const url of [
      'https://172.15.255.255/',
      'https://172.32.0.1/',
      'https://100.63.255.255/',
      'https://100.128.0.1/',
      'https://11.0.0.1/',
      'https://8.8.8.8/',
      'https://169.253.255.255/',
    ]) {
      expect({ url, ok: checkWebhookUrl(url).ok }).toEqual({ url, ok: true });
    }
  });

  it('refuses IPv4 in decimal, octal, hex and short encodings', () => {
    for (const url of [
      'https://2130706433/', // 127.0.0.1 as one decimal number
      'http://2130706433/',
      'https://0x7f.1/',
      'https://0x7f000001/',
      'https://0177.0.0.1/',
      'https://017700000001/',
      'https://127.1/',
      'https://0x7F.0.0.1/',
      'https://3232235777/', // 192.168.1.1
      'https://0xa9fea9fe/', // 169.254.169.254
      'https://0251.0376.0251.0376/', // 169.254.169.254 in octal
      'https://10.1/',
      'https://0/',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
  });

  it('refuses IPv6 loopback, unspecified, link-local, unique-local, multicast and IPv4-mapped/embedded forms', () => {
    for (const url of [
      'https://[::1]/',
      'https://[0:0:0:0:0:0:0:1]/',
      'https://[::]/',
      'https://[fe80::1]/',
      'https://[febf::1]/',
      'https://[fc00::1]/',
      'https://[fd12:3456:789a::1]/',
      'https://[ff02::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:7f00:1]/',
      'https://[::ffff:10.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/', // 169.254.169.254
      'https://[0:0:0:0:0:ffff:192.168.0.1]/',
      'https://[::127.0.0.1]/', // IPv4-compatible (deprecated)
      'https://[64:ff9b::10.0.0.1]/', // NAT64 of a private address
      'https://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
      'https://[2001:db8::1]/',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
    expect(checkWebhookUrl('https://[2606:4700:4700::1111]/').ok).toBe(true);
    expect(checkWebhookUrl('https://[::ffff:8.8.8.8]/').ok).toBe(true);
  });

  it('refuses userinfo tricks, whichever side the attacker hopes the parser reads', () => {
    for (const url of [
      'https://good.com@127.0.0.1/',
      'https://good.com@evil.example/',
      'https://user:pass@hooks.partner.example/',
      'https://@hooks.partner.example/',
      'https://good.com:443@10.0.0.1/',
      'https://127.0.0.1\\@good.com/',
      'https://good.com%40127.0.0.1/',
      'https://127.0.0.1#@good.com/',
      'https://good.com\t@127.0.0.1/',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
  });

  it('refuses localhost, *.localhost, metadata and internal names, and single-label hosts', () => {
    for (const url of [
      'https://localhost/',
      'https://LOCALHOST:8443/',
      'https://localhost./',
      'https://api.localhost/',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://metadata.google.internal./',
      'https://metadata/',
      'https://db.internal/',
      'https://printer.local/',
      'https://intranet/',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
  });

  it('refuses malformed and oversized URLs', () => {
    for (const url of [
      '',
      'not a url',
      'https://',
      `https://a.example/${'x'.repeat(2100)}`,
      'https://hooks.partner.example:0/',
      'https://exa mple.com/',
    ]) {
      expect({ url, refused: refused(url) }).toEqual({ url, refused: true });
    }
  });

  it('lets through only the exact host:port of the test allow-list, http included', () => {
    const allow = ['127.0.0.1:4555'];
    expect(checkWebhookUrl('http://127.0.0.1:4555/hook', allow)).toMatchObject({ ok: true, insecureAllowed: true });
    expect(refused('http://127.0.0.1:4556/hook', allow)).toBe(true);
    expect(refused('http://127.0.0.1/hook', allow)).toBe(true);
    expect(refused('http://user@127.0.0.1:4555/hook', allow)).toBe(true);
    expect(refused('http://127.0.0.1:4555/hook')).toBe(true);
  });

  it('classifies addresses as DNS answers give them', () => {
    expect(isForbiddenAddress('127.0.0.1')).toBe(true);
    expect(isForbiddenAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isForbiddenAddress('fe80::1%eth0')).toBe(true);
    expect(isForbiddenAddress('not-an-ip')).toBe(true);
    expect(isForbiddenAddress('93.184.216.34')).toBe(false);
    expect(isForbiddenAddress('2606:2800:220:1:248:1893:25c8:1946')).toBe(false);
  });

  describe('with DNS answers (a fake resolver)', () => {
    const resolverFor =
      (answers: Record<string, string[]>): Resolver =>
      async (host) => {
        if (!(host in answers)) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
        return answers[host];
      };
    const resolver = resolverFor({
      'public.example': ['93.184.216.34'],
      'rebind.example': ['93.184.216.34', '10.0.0.7'],
      'loop.example': ['127.0.0.1'],
      'meta.example': ['169.254.169.254'],
      'v6loop.example': ['::1'],
      'mapped.example': ['::ffff:192.168.0.10'],
      'empty.example': [],
    });

    it('accepts a name resolving only to public addresses', async () => {
      await expect(checkWebhookUrlResolved('https://public.example/hook', [], resolver)).resolves.toMatchObject({ ok: true });
    });

    it('refuses a name with any private, loopback, metadata or mapped answer, and one that does not resolve', async () => {
      for (const host of [
        'rebind.example',
        'loop.example',
        'meta.example',
        'v6loop.example',
        'mapped.example',
        'empty.example',
        'nxdomain.example',
      ]) {
        const check = await checkWebhookUrlResolved(`https://${host}/hook`, [], resolver);
        expect({ host, ok: check.ok }).toEqual({ host, ok: false });
      }
    });

    it('does not ask the resolver about an IP literal or an allow-listed target', async () => {
      const calls: string[] = [];
      const spy: Resolver = async (host) => {
        calls.push(host);
        return ['127.0.0.1'];
      };
      await expect(checkWebhookUrlResolved('https://8.8.8.8/', [], spy)).resolves.toMatchObject({ ok: true });
      await expect(checkWebhookUrlResolved('http://127.0.0.1:4555/', ['127.0.0.1:4555'], spy)).resolves.toMatchObject({ ok: true });
      expect(calls).toEqual([]);
    });
  });

  it('refuses at connect time a name that resolves to loopback (the delivery agent lookup; /etc/hosts, no DNS packet)', async () => {
    for (const all of [false, true]) {
      const outcome = await new Promise<{ code?: string; address: string | LookupAddress[] }>((resolve) =>
        guardedLookup('localhost', { all }, (error, address) => resolve({ code: error?.code, address })),
      );
      expect(outcome).toEqual({ code: 'WEBHOOK_ADDRESS_REFUSED', address: '' });
    }
  });
});
