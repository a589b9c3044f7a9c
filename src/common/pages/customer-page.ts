import type { AppResult } from './app-return-url';

/**
 * The pages a customer's phone can land on (DOKU's browser redirects back to us): plain HTML in the
 * customer's language, with a plain-language outcome and never an internal code, JSON or anything
 * echoed from the query. See docs/customer-pages.md.
 */

/** Indonesian or English, by the browser's `Accept-Language`. */
export type PageLanguage = 'id' | 'en';

export const PAGE_LANGUAGES: readonly PageLanguage[] = ['id', 'en'];

export interface PageText {
  title: string;
  message: string;
  /** Why it did not work, in plain words (failures only). */
  reason?: string;
}

export type Localised<T> = Record<PageLanguage, T>;

/** What the page says about the outcome, for its look and for the app's return link. */
export type PageTone = 'success' | 'failure' | 'pending' | 'info';

export interface CustomerPage {
  /** The HTTP status: 200 for an outcome the customer reached, 4xx/5xx for a link we cannot act on. */
  status: number;
  tone: PageTone;
  /** The outcome as the app reads it from the return link. */
  result: AppResult;
  text: Localised<PageText>;
  /** The partner app's return link with the outcome in it (docs/customer-pages.md#back-to-the-app). */
  returnUrl?: string;
  /**
   * A page still waiting for an outcome: it reads `statusUrl` (JSON `{"final":boolean}`) every
   * `everySeconds` and reloads itself once the outcome is final; without script it reloads.
   */
  poll?: { statusUrl: string; everySeconds: number };
}

/** The routes that answer customer pages, also when they fail unexpectedly (the error filter). */
export const CUSTOMER_PAGE_ROUTES = new Set([
  '/v1/callbacks/doku/registration',
  '/v1/callbacks/doku/binding',
  '/v1/callbacks/doku/purchase',
]);

const RETURN_LABEL: Localised<string> = { id: 'Kembali ke aplikasi', en: 'Return to the app' };

/**
 * Picks the language from `Accept-Language` by its quality values: Indonesian (`id`, or the old
 * `in`) when it ranks at least as high as English; English when English ranks higher, and when the
 * header names neither (a phone set to another language reads English more often than Indonesian).
 */
export function pageLanguage(acceptLanguage: string | string[] | undefined): PageLanguage {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : (acceptLanguage ?? '');
  let best: { lang: PageLanguage; q: number } | undefined;
  for (const part of header.split(',').slice(0, 20)) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const primary = tag.split('-')[0];
    const lang: PageLanguage | undefined = primary === 'id' || primary === 'in' ? 'id' : primary === 'en' ? 'en' : undefined;
    if (!lang) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q || (q === best.q && lang === 'id')) best = { lang, q };
  }
  return best?.lang ?? 'en';
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const COLOURS: Record<PageTone, string> = { success: '#1b7f3b', failure: '#b3261e', pending: '#8a5a00', info: '#1f4e8c' };

/** The whole HTML document of a customer page. */
export function renderCustomerPage(page: CustomerPage, lang: PageLanguage): string {
  const text = page.text[lang];
  const title = escapeHtml(text.title);
  const reason = text.reason ? `<p class="reason">${escapeHtml(text.reason)}</p>` : '';
  const back = page.returnUrl ? `<p><a class="back" href="${escapeHtml(page.returnUrl)}">${escapeHtml(RETURN_LABEL[lang])}</a></p>` : '';
  let head = '';
  let script = '';
  if (page.returnUrl && !page.poll) {
    // The outcome is known: back to the app on its own after a moment (the button stays for a
    // browser that does not follow script navigation to an app link).
    script = `<script>setTimeout(function(){location.href=${JSON.stringify(page.returnUrl).replace(/</g, '\\u003c')}},1500)</script>`;
  }
  if (page.poll) {
    const every = Math.max(1, Math.round(page.poll.everySeconds));
    // Without script the page reloads itself; with it, it reads the light status and reloads once final.
    head = `<noscript><meta http-equiv="refresh" content="${every}"></noscript>`;
    script =
      `<script>(function(){var u=${JSON.stringify(page.poll.statusUrl).replace(/</g, '\\u003c')};` +
      `function t(){fetch(u,{cache:"no-store"}).then(function(r){return r.ok?r.json():null}).then(function(s){` +
      `if(s&&s.final){location.reload()}else{setTimeout(t,${every * 1000})}}).catch(function(){setTimeout(t,${every * 1000})})}` +
      `setTimeout(t,${every * 1000})})()</script>`;
  }
  return (
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${title}</title>${head}<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:32rem;padding:0 1rem;line-height:1.5}` +
    `h1{color:${COLOURS[page.tone]};font-size:1.5rem}.reason{font-weight:600}` +
    `.back{display:inline-block;padding:.75rem 1.25rem;border-radius:.5rem;background:#1f4e8c;color:#fff;text-decoration:none}</style></head>` +
    `<body data-outcome="${page.tone}"><h1>${title}</h1><p>${escapeHtml(text.message)}</p>${reason}${back}${script}</body></html>`
  );
}

/** Headers every customer page carries. */
export function customerPageHeaders(lang: PageLanguage): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-language': lang,
    vary: 'Accept-Language',
  };
}

/** Links we cannot act on: unknown, forged or malformed references. */
export const NOT_FOUND_PAGE: CustomerPage = {
  status: 404,
  tone: 'failure',
  result: 'not_found',
  text: {
    en: { title: 'Link not recognised', message: 'We could not find this request. Return to the app and try again.' },
    id: { title: 'Tautan tidak dikenali', message: 'Kami tidak menemukan permintaan ini. Kembali ke aplikasi dan coba lagi.' },
  },
};

/** DOKU or our database could not be reached: nothing was decided, reloading later may work. */
export const UNAVAILABLE_PAGE: CustomerPage = {
  status: 503,
  tone: 'pending',
  result: 'processing',
  text: {
    en: {
      title: 'Please try again shortly',
      message: 'We could not finish this just now. Reload this page in a moment, or return to the app.',
    },
    id: {
      title: 'Silakan coba lagi sebentar',
      message: 'Kami belum dapat menyelesaikan ini sekarang. Muat ulang halaman ini sebentar lagi, atau kembali ke aplikasi.',
    },
  },
};

/** Anything else that went wrong (the error filter's page for customer routes). */
export const ERROR_PAGE: CustomerPage = {
  status: 500,
  tone: 'failure',
  result: 'failure',
  text: {
    en: { title: 'Something went wrong', message: 'Please return to the app and try again.' },
    id: { title: 'Terjadi kesalahan', message: 'Silakan kembali ke aplikasi dan coba lagi.' },
  },
};

/** The part of Fastify's reply a page route uses (with `@Res({ passthrough: true })`). */
export interface PageReply {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

/** Sets the page's status and headers on the reply and gives its HTML, in the browser's language. */
export function answerPage(reply: PageReply, page: CustomerPage, acceptLanguage: string | string[] | undefined): string {
  const lang = pageLanguage(acceptLanguage);
  reply.status(page.status);
  for (const [name, value] of Object.entries(customerPageHeaders(lang))) reply.header(name, value);
  return renderCustomerPage(page, lang);
}
