import { KKI_PARTNER_REFERENCE, toKkiPaymentRequest } from '../../integrations/doku/kki/kki.mapper';
import { rupiah } from '../../common/money/money';
import { newCardPartnerReference } from './card.channel';

describe('newCardPartnerReference', () => {
  it('is KKI and 29 hex digits: the 32 letters and digits both the KKI payment and its refunds accept', () => {
    const reference = newCardPartnerReference();
    expect(reference).toMatch(/^KKI[0-9a-f]{29}$/);
    expect(reference).toMatch(KKI_PARTNER_REFERENCE);
    const request = toKkiPaymentRequest({ partnerReferenceNo: reference, amount: rupiah(1_000), card: { cpan: '9360001609987000000' } });
    expect(request.partnerReferenceNo).toBe(reference);
  });

  it('does not repeat', () => {
    const references = new Set(Array.from({ length: 10_000 }, () => newCardPartnerReference()));
    expect(references.size).toBe(10_000);
  });
});
