import { rupiah } from '../../../common/money/money';
import { toBankTransferResult, toBeneficiaryAccount, toTransferBankInquiryRequest, toTransferBankPaymentRequest } from './transfer.mapper';

describe('bank transfer mapper', () => {
  it('builds Transfer Bank Account Inquiry', () => {
    const request = toTransferBankInquiryRequest({
      partnerReferenceNo: 'BIQ-1',
      customerNumber: '628123',
      amount: rupiah(50000),
      accountNumber: '1234567890',
      bankCode: '014',
      accountId: 'A1',
    });
    expect(JSON.stringify(request)).toBe(
      '{"partnerReferenceNo":"BIQ-1","customerNumber":"628123","amount":{"value":"50000.00","currency":"IDR"},' +
        '"beneficiaryAccountNumber":"1234567890","additionalInfo":{"bankCode":"014","accountId":"A1"}}',
    );
  });

  it('reads the beneficiary', () => {
    expect(
      toBeneficiaryAccount({
        responseCode: '2004200',
        referenceNo: 'R1',
        beneficiaryAccountName: 'Siti',
        beneficiaryBankCode: '014',
        beneficiaryBankName: 'BCA',
        accountType: 'SAVINGS',
        sessionId: 'S1',
      }),
    ).toEqual({ referenceNo: 'R1', accountName: 'Siti', bankCode: '014', bankName: 'BCA', accountType: 'SAVINGS', sessionId: 'S1' });
  });

  it('builds Transfer Bank Account Payment with the session id last and the inquiry reference only when known', () => {
    const order = {
      partnerReferenceNo: 'BTR-1',
      customerNumber: '628123',
      accountNumber: '1234567890',
      bankCode: '014',
      amount: rupiah(50000),
      accountId: 'A1',
    };
    expect(
      JSON.stringify(
        toTransferBankPaymentRequest({ ...order, accountType: 'SAVINGS', inquiryReferenceNo: 'R1', sessionId: 'y'.repeat(40) }),
      ),
    ).toBe(
      '{"partnerReferenceNo":"BTR-1","customerNumber":"628123","accountType":"SAVINGS","beneficiaryAccountNumber":"1234567890",' +
        '"beneficiaryBankCode":"014","amount":{"value":"50000.00","currency":"IDR"},"additionalInfo":{"referenceNo":"R1","accountId":"A1"},' +
        `"sessionId":"${'y'.repeat(25)}"}`,
    );
    expect(JSON.stringify(toTransferBankPaymentRequest({ ...order, accountType: null, inquiryReferenceNo: null, sessionId: null }))).toBe(
      '{"partnerReferenceNo":"BTR-1","customerNumber":"628123","accountType":"","beneficiaryAccountNumber":"1234567890",' +
        '"beneficiaryBankCode":"014","amount":{"value":"50000.00","currency":"IDR"},"additionalInfo":{"accountId":"A1"}}',
    );
  });

  it("reads DOKU's and the bank's references", () => {
    expect(toBankTransferResult({ responseCode: '2004300', referenceNo: 'R1', transactionDate: 'T', referenceNumber: 'B1' })).toEqual({
      referenceNo: 'R1',
      transactionDate: 'T',
      bankReference: 'B1',
    });
  });
});
