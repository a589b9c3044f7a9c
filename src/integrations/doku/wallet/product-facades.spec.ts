import type { ErrorCode } from '../../../common/errors/error-codes';
import type { DokuOutcomeKind } from '../snap/doku-response-codes';
import type { QueryPurchaseRequest, QueryTopUpRequest } from './wallet-wire.types';
import type { DokuClient, DokuResult } from '../snap/doku.client';
import { DokuResponseError, DokuTimeoutError } from '../snap/doku.errors';
import { DokuPurchases } from './purchase.facade';
import { DokuTopUps } from './top-up.facade';

/** DOKU's answer to one attempt: a body, or an error to throw. */
type Answer = { body: Record<string, unknown> } | { error: Error };

function declined(code: ErrorCode, kind: DokuOutcomeKind, outcomeUnknown = false): { error: Error } {
  return { error: new DokuResponseError(code, kind, outcomeUnknown, '4045501', 404, false, { endpoint: 'queryPurchase' }, undefined) };
}

function ok(body: Record<string, unknown>): Answer {
  return { body: { responseCode: '2005500', ...body } };
}

/** A client that answers each call of `method` from `answers`, in order, and records the requests. */
function fakeClient(method: 'queryPurchase' | 'queryTopUp', answers: Answer[]) {
  const requests: unknown[] = [];
  const client = {
    [method]: (request: unknown): Promise<DokuResult<unknown>> => {
      requests.push(request);
      const answer = answers.shift();
      if (!answer) throw new Error('unexpected call');
      if ('error' in answer) return Promise.reject(answer.error);
      return Promise.resolve({
        body: answer.body,
        responseCode: '2005500',
        httpStatus: 200,
        replayed: false,
        externalId: '9',
        durationMs: 1,
      });
    },
  };
  return { client: client as unknown as DokuClient, requests };
}

describe('DokuPurchases.status', () => {
  const purchase = { partnerReferenceNo: 'PUR-1', referenceNo: 'R1', externalId: '123' };

  it('asks once with service code 54 when DOKU answers', async () => {
    const { client, requests } = fakeClient('queryPurchase', [ok({ latestTransactionStatus: '00' })]);
    const result = await new DokuPurchases(client).status(purchase);
    expect(result.body.status).toBe('SUCCESS');
    expect(result.externalId).toBe('9');
    expect((requests as QueryPurchaseRequest[]).map((r) => r.serviceCode)).toEqual(['54']);
  });

  it('asks again with 55 after a bad request, then without the X-EXTERNAL-ID (and with 54) after not found', async () => {
    const { client, requests } = fakeClient('queryPurchase', [
      declined('DOKU.BAD_REQUEST', 'REJECTED'),
      declined('DOKU.NOT_FOUND', 'NOT_FOUND'),
      ok({ latestTransactionStatus: '01' }),
    ]);
    const result = await new DokuPurchases(client).status(purchase);
    expect(result.body.status).toBe('PENDING');
    expect(requests).toEqual([
      { serviceCode: '54', originalPartnerReferenceNo: 'PUR-1', originalReferenceNo: 'R1', originalExternalId: '123', additionalInfo: {} },
      { serviceCode: '55', originalPartnerReferenceNo: 'PUR-1', originalReferenceNo: 'R1', originalExternalId: '123', additionalInfo: {} },
      { serviceCode: '54', originalPartnerReferenceNo: 'PUR-1', originalReferenceNo: 'R1', additionalInfo: {} },
    ]);
  });

  it('throws the last answer: not found without an X-EXTERNAL-ID is final', async () => {
    const notFound = declined('DOKU.NOT_FOUND', 'NOT_FOUND');
    const { client, requests } = fakeClient('queryPurchase', [notFound]);
    await expect(new DokuPurchases(client).status({ partnerReferenceNo: 'PUR-1' })).rejects.toBe(notFound.error);
    expect(requests).toHaveLength(1);
  });

  it('never asks again after an answer whose outcome is unknown', async () => {
    const timeout = { error: new DokuTimeoutError({ endpoint: 'queryPurchase' }, 'headers') };
    const { client, requests } = fakeClient('queryPurchase', [timeout]);
    await expect(new DokuPurchases(client).status(purchase)).rejects.toBe(timeout.error);
    const pending = declined('DOKU.BAD_REQUEST', 'UNKNOWN', true);
    const second = fakeClient('queryPurchase', [pending]);
    await expect(new DokuPurchases(second.client).status(purchase)).rejects.toBe(pending.error);
    expect(requests).toHaveLength(1);
    expect(second.requests).toHaveLength(1);
  });
});

describe('DokuTopUps.status', () => {
  it('asks again without the X-EXTERNAL-ID after not found', async () => {
    const { client, requests } = fakeClient('queryTopUp', [declined('DOKU.NOT_FOUND', 'NOT_FOUND'), ok({ latestTransactionStatus: '00' })]);
    const result = await new DokuTopUps(client).status({ partnerReferenceNo: 'TOP-1', referenceNo: null, externalId: '123' });
    expect(result.body.status).toBe('SUCCESS');
    expect(requests as QueryTopUpRequest[]).toEqual([
      { serviceCode: '38', originalPartnerReferenceNo: 'TOP-1', originalExternalId: '123' },
      { serviceCode: '38', originalPartnerReferenceNo: 'TOP-1' },
    ]);
  });

  it('throws any other decline as it is', async () => {
    const rejected = declined('DOKU.BAD_REQUEST', 'REJECTED');
    const { client, requests } = fakeClient('queryTopUp', [rejected]);
    await expect(new DokuTopUps(client).status({ partnerReferenceNo: 'TOP-1', externalId: '123' })).rejects.toBe(rejected.error);
    expect(requests).toHaveLength(1);
  });
});
