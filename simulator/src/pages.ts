import type { IncomingMessage } from 'node:http';
import { createAccount, issueAuthCode } from './handlers/wallet/account';
import { expireDanaIfDue, settleDana } from './handlers/dana/dana';
import { confirmPurchase, expireIfDue } from './handlers/wallet/purchase';
import { formatMoneyValue } from './money';
import type { Notifier } from './notifier';
import { PAGE_PATHS } from './paths';
import type { HttpReply, SubRouter } from './server';
import type { Sim } from './sim';

/**
 * The customer's side of DOKU, as plain HTML forms (no JavaScript): create PIN after Verify OTP, approve a
 * binding, confirm a purchase. Each completes with a 302 to the partner's URL (docs/doku-integration.md#pin-pages).
 */
const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function page(status: number, title: string, content: string): HttpReply {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · DOKU Wallet simulator</title><style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.75rem 0 .25rem}input{font-size:1.2rem;padding:.4rem;width:100%;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}.error{color:#b00020}</style></head><body><h1>${esc(title)}</h1>${content}</body></html>`;
  return {
    status,
    body,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
  };
}

/**
 * The 302 back to the partner with DOKU's parameters. `appendNaively` (profile appended-query)
 * appends them with a second '?' when the partner's URL already has a query, as a careless
 * implementation does; otherwise they are merged into the URL's query.
 */
function redirect(url: string, params: Record<string, string>, appendNaively = false): HttpReply {
  const target = new URL(url);
  let location: string;
  if (appendNaively && target.search !== '') {
    location = `${target.toString()}?${new URLSearchParams(params).toString()}`;
  } else {
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    location = target.toString();
  }
  return { status: 302, body: '', headers: { Location: location, 'Cache-Control': 'no-store' } };
}

function pinInput(name: string, label: string): string {
  return `<label for="${name}">${esc(label)}</label><input id="${name}" name="${name}" type="password" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="off" required>`;
}

function form(
  action: string,
  token: string,
  inner: string,
  buttons = '<button type="submit" name="action" value="approve">Confirm</button>',
): string {
  return `<form method="post" action="${esc(action)}"><input type="hidden" name="token" value="${esc(token)}">${inner}${buttons}</form>`;
}

const errorLine = (message?: string): string => (message ? `<p class="error" role="alert">${esc(message)}</p>` : '');

export class Pages implements SubRouter {
  constructor(
    private readonly sim: Sim,
    private readonly notifier: Notifier,
  ) {}

  handle(req: IncomingMessage, pathname: string, search: URLSearchParams, raw: Buffer): HttpReply | undefined {
    const isPost = req.method === 'POST';
    if (!isPost && req.method !== 'GET') return undefined;
    const fields = isPost ? new URLSearchParams(raw.toString('utf8')) : new URLSearchParams();
    const token = fields.get('token') ?? search.get('token') ?? '';
    switch (pathname) {
      case PAGE_PATHS.createPin:
        return isPost ? this.createPinSubmit(token, fields) : this.createPinForm(token);
      case PAGE_PATHS.bindingConsent:
        return isPost ? this.bindingSubmit(token, fields) : this.bindingForm(token);
      case PAGE_PATHS.pay:
        return isPost ? this.paySubmit(token, fields) : this.payForm(token);
      case PAGE_PATHS.danaPay:
        return isPost ? this.danaSubmit(token, fields) : this.danaForm(token);
      default:
        return undefined;
    }
  }

  // Create PIN (after Verify OTP): qparamsURL?token=…
  private createPinForm(token: string, error?: string, status = 200): HttpReply {
    const reg = this.sim.store.pinTokens.get(token);
    if (!reg || reg.status !== 'OTP_VERIFIED')
      return page(404, 'Link expired', '<p>This PIN creation link is invalid or was already used.</p>');
    return page(
      status,
      'Create your DOKU PIN',
      `<p>Account for ${esc(reg.name)} (${esc(reg.phoneNo)}).</p>${errorLine(error)}${form(PAGE_PATHS.createPin, token, pinInput('pin', 'New 6-digit PIN') + pinInput('confirmPin', 'Repeat PIN'))}`,
    );
  }

  private createPinSubmit(token: string, fields: URLSearchParams): HttpReply {
    const sim = this.sim;
    const reg = sim.store.pinTokens.get(token);
    if (!reg || reg.status !== 'OTP_VERIFIED') return this.createPinForm(token);
    const pin = fields.get('pin') ?? '';
    const confirm = fields.get('confirmPin') ?? fields.get('pinConfirmation') ?? pin;
    if (!/^\d{6}$/.test(pin)) return this.createPinForm(token, 'The PIN must be exactly 6 digits.', 400);
    if (pin !== confirm) return this.createPinForm(token, 'The two PINs differ.', 400);
    if (sim.store.accountByPhone(reg.phoneNo))
      return page(409, 'Already registered', '<p>This phone number already has a DOKU wallet.</p>');
    const account = createAccount({ sim, now: sim.now() }, { name: reg.name, email: reg.email, phoneNo: reg.phoneNo, pin });
    reg.status = 'PIN_CREATED';
    reg.accountId = account.accountId;
    sim.store.pinTokens.delete(token);
    return redirect(
      reg.redirectUrl,
      { accountId: account.accountId, partnerReferenceNo: reg.partnerReferenceNo, status: 'SUCCESS' },
      this.sim.has('appended-query'),
    );
  }

  // Binding consent: nextAction
  private bindingForm(token: string, error?: string, status = 200): HttpReply {
    const consent = this.sim.store.bindingsByConsent.get(token);
    const account = consent && this.sim.store.accounts.get(consent.accountId);
    if (!consent || consent.status !== 'PENDING' || !account)
      return page(404, 'Link expired', '<p>This binding link is invalid or was already used.</p>');
    return page(
      status,
      'Link your DOKU wallet',
      `<p>Partner <strong>${esc(consent.clientId)}</strong> asks to link the DOKU wallet of ${esc(account.name)}.</p>${errorLine(error)}${form(
        PAGE_PATHS.bindingConsent,
        token,
        pinInput('pin', 'DOKU PIN'),
        '<button type="submit" name="action" value="approve">Approve</button> <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>',
      )}`,
    );
  }

  private bindingSubmit(token: string, fields: URLSearchParams): HttpReply {
    const sim = this.sim;
    const consent = sim.store.bindingsByConsent.get(token);
    const account = consent && sim.store.accounts.get(consent.accountId);
    if (!consent || consent.status !== 'PENDING' || !account) return this.bindingForm(token);
    if (fields.get('action') === 'cancel') {
      consent.status = 'FAILED';
      sim.store.bindingsByConsent.delete(token);
      return redirect(
        consent.redirectUrl,
        { status: 'CANCELLED', partnerReferenceNo: consent.partnerReferenceNo },
        this.sim.has('appended-query'),
      );
    }
    if ((fields.get('pin') ?? '') !== account.pin) {
      consent.pinAttempts += 1;
      const left = sim.settings.pinMaxAttempts - consent.pinAttempts;
      if (left <= 0) {
        consent.status = 'FAILED';
        sim.store.bindingsByConsent.delete(token);
        return redirect(
          consent.redirectUrl,
          { status: 'FAILED', partnerReferenceNo: consent.partnerReferenceNo },
          this.sim.has('appended-query'),
        );
      }
      return this.bindingForm(token, `Wrong PIN. ${left} attempt(s) left.`, 401);
    }
    sim.store.bindingsByConsent.delete(token);
    const key = `${consent.clientId}|${consent.accountId}`;
    sim.store.bindings.set(key, { ...consent, status: 'ACTIVE', consentToken: undefined });
    const authCode = issueAuthCode({ sim, now: sim.now() }, consent.clientId, consent.accountId);
    return redirect(consent.redirectUrl, { authCode }, this.sim.has('appended-query'));
  }

  // Purchase PIN: webRedirectUrl
  private payForm(token: string, error?: string, status = 200): HttpReply {
    const sim = this.sim;
    const p = sim.store.purchasesByPayToken.get(token);
    if (!p) return page(404, 'Link expired', '<p>This payment link is invalid or was already used.</p>');
    expireIfDue({ sim, notifier: this.notifier }, p, sim.now());
    if (p.status !== '01') return page(409, 'Payment closed', `<p>This payment is no longer payable (status ${esc(p.status)}).</p>`);
    return page(
      status,
      'Pay with DOKU Wallet',
      `<p>Pay <strong>IDR ${esc(formatMoneyValue(p.amount))}</strong> to ${esc(p.merchantId ?? p.clientId)} (ref. ${esc(p.partnerReferenceNo)}).</p>${errorLine(error)}${form(
        PAGE_PATHS.pay,
        token,
        pinInput('pin', 'DOKU PIN'),
        '<button type="submit" name="action" value="approve">Pay</button> <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>',
      )}`,
    );
  }

  private paySubmit(token: string, fields: URLSearchParams): HttpReply {
    const sim = this.sim;
    const p = sim.store.purchasesByPayToken.get(token);
    if (!p) return this.payForm(token);
    const cancel = fields.get('action') === 'cancel';
    const outcome = confirmPurchase({ sim, notifier: this.notifier }, p, cancel ? { outcome: 'fail' } : { pin: fields.get('pin') ?? '' });
    if (outcome.result === 'WRONG_PIN') return this.payForm(token, `Wrong PIN. ${outcome.attemptsLeft} attempt(s) left.`, 401);
    if (outcome.result === 'INVALID_STATE') return this.payForm(token);
    sim.store.purchasesByPayToken.delete(token);
    const status = outcome.result === 'SUCCESS' ? 'SUCCESS' : outcome.result === 'PENDING' ? 'PENDING' : 'FAILED';
    const params = { partnerReferenceNo: p.partnerReferenceNo, referenceNo: p.referenceNo, status };
    if (p.returnUrl) return redirect(p.returnUrl, params, this.sim.has('appended-query'));
    return page(
      200,
      status === 'SUCCESS' ? 'Payment successful' : 'Payment failed',
      `<p>Reference ${esc(p.partnerReferenceNo)}: ${esc(status)}.</p>`,
    );
  }

  // DANA's approval page (the DANA payment's webRedirectUrl): approve or decline, then back to PAY_RETURN.
  private danaForm(token: string): HttpReply {
    const sim = this.sim;
    const p = sim.store.danaByPageToken.get(token);
    if (!p) return page(404, 'Link expired', '<p>This DANA payment link is invalid or was already used.</p>');
    expireDanaIfDue({ sim, notifier: this.notifier }, p, sim.now());
    if (p.status !== '01') return page(409, 'Payment closed', `<p>This payment is no longer payable (status ${esc(p.status)}).</p>`);
    return page(
      200,
      'Pay with DANA',
      `<p>Pay <strong>IDR ${esc(formatMoneyValue(p.amount))}</strong>${p.orderTitle ? ` for ${esc(p.orderTitle)}` : ''} (ref. ${esc(p.partnerReferenceNo)}).</p>${form(
        PAGE_PATHS.danaPay,
        token,
        '',
        '<button type="submit" name="action" value="approve">Pay with DANA</button> <button type="submit" name="action" value="decline">Decline</button>',
      )}`,
    );
  }

  private danaSubmit(token: string, fields: URLSearchParams): HttpReply {
    const sim = this.sim;
    const p = sim.store.danaByPageToken.get(token);
    if (!p) return this.danaForm(token);
    const outcome = settleDana({ sim, notifier: this.notifier }, p, fields.get('action') === 'approve' ? 'approve' : 'decline');
    if (outcome.result === 'INVALID_STATE') return this.danaForm(token);
    const status = outcome.result === 'SUCCESS' ? 'SUCCESS' : 'FAILED';
    if (p.returnUrl) {
      return redirect(p.returnUrl, { partnerReferenceNo: p.partnerReferenceNo, status }, this.sim.has('appended-query'));
    }
    return page(
      200,
      status === 'SUCCESS' ? 'Payment successful' : 'Payment failed',
      `<p>Reference ${esc(p.partnerReferenceNo)}: ${esc(status)}.</p>`,
    );
  }
}
