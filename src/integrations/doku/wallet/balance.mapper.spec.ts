import { InvalidMoneyError } from '../../../common/money/money';
import { toBalanceInquiryRequest, toWalletBalance } from './balance.mapper';

const idr = (value: string) => ({ value, currency: 'IDR' });

describe('balance mapper', () => {
  it('builds Balance Inquiry with our reference only', () => {
    expect(JSON.stringify(toBalanceInquiryRequest('BAL-1'))).toBe('{"partnerReferenceNo":"BAL-1"}');
  });

  it('reads the first account: its status and each amount as a reading', () => {
    const balance = toWalletBalance({
      responseCode: '2001100',
      accountInfos: [
        { status: '0001', ledgerBalance: idr('250000.00'), availableBalance: idr('200000.00'), holdAmount: idr('0.00'), amount: idr('x') },
      ],
    });
    expect(balance.account).toMatchObject({ status: 'ACTIVE', ledgerBalance: 250000n, availableBalance: 200000n, holdAmount: 0n });
    expect(balance.account?.amount).toBeInstanceOf(InvalidMoneyError);
  });

  it('reads an unknown status as UNKNOWN and an answer without accounts as no account', () => {
    expect(toWalletBalance({ responseCode: '2001100', accountInfos: [{ status: '0042' }] }).account?.status).toBe('UNKNOWN');
    expect(toWalletBalance({ responseCode: '2001100', accountInfos: [] }).account).toBeUndefined();
    expect(toWalletBalance({ responseCode: '2001100' }).account).toBeUndefined();
  });
});
