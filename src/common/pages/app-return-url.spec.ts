import { appReturnLink, appReturnUrlProblem } from './app-return-url';

describe('app return links', () => {
  it.each([
    'partnerapp://wallet/result',
    'com.partner.app:/callback',
    'https://app.partner.example/wallet/return',
    'https://app.partner.example/wallet?source=doku',
  ])('accepts %p', (url) => {
    expect(appReturnUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['http://app.partner.example/', /http: scheme/],
    ['javascript:alert(1)', /javascript: scheme/],
    ['JavaScript:alert(1)', /javascript: scheme/],
    ['data:text/html,hi', /data: scheme/],
    ['intent://x#Intent;end', /intent: scheme/],
    ['/relative/path', /absolute link/],
    ['app.partner.example', /absolute link/],
    ['https://user:pw@app.partner.example/', /user name or password/],
    ['partnerapp://wallet#x', /fragment/],
    ['partnerapp://wal let', /spaces/],
    [`partnerapp://${'a'.repeat(400)}`, /at most 400/],
  ])('refuses %p', (url, reason) => {
    expect(appReturnUrlProblem(url)).toMatch(reason);
  });

  it('puts the outcome in the link, replacing earlier values and keeping the partner’s own parameters', () => {
    const link = appReturnLink('partnerapp://wallet/result?source=doku&result=x', 'success', 'purchase', { purchaseId: 'p-1' });
    const url = new URL(link);
    expect(url.protocol).toBe('partnerapp:');
    expect(Object.fromEntries(url.searchParams)).toEqual({ source: 'doku', result: 'success', flow: 'purchase', purchaseId: 'p-1' });
  });
});
