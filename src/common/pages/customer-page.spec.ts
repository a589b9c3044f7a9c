import { pageLanguage, renderCustomerPage } from './customer-page';

describe('customer pages', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['*', 'en'],
    ['id', 'id'],
    ['id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7', 'id'],
    ['in-ID', 'id'],
    ['en-US,en;q=0.9', 'en'],
    ['en-US;q=0.9,id;q=0.95', 'id'],
    ['id;q=0.5,en;q=0.6', 'en'],
    ['id;q=0,en', 'en'],
    ['en;q=0.8,id;q=0.8', 'id'],
    ['ja-JP,ja;q=0.9', 'en'],
    ['fr, id;q=0.1', 'id'],
  ])('Accept-Language %p reads as %p', (header, lang) => {
    expect(pageLanguage(header)).toBe(lang);
  });

  it('escapes every text and link it writes, and writes the poll script without a way out of its string', () => {
    const html = renderCustomerPage(
      {
        status: 200,
        tone: 'pending',
        result: 'processing',
        text: { en: { title: '<b>t</b>', message: '"m" & \'q\'' }, id: { title: 'x', message: 'y' } },
        returnUrl: 'app://r?x="><script>',
        poll: { statusUrl: '/s?</script><script>alert(1)</script>', everySeconds: 2 },
      },
      'en',
    );
    expect(html).toContain('&lt;b&gt;t&lt;/b&gt;');
    expect(html).toContain('&quot;m&quot; &amp; &#39;q&#39;');
    expect(html).toContain('href="app://r?x=&quot;&gt;&lt;script&gt;"');
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('<html lang="en">');
  });
});
