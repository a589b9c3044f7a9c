import { errors } from '../../codes';
import { money } from '../../money';
import type { Transfer } from '../../store';
import { normalisePhone, TEST_BANK_ACCOUNTS } from '../../store';
import { toJakartaIso } from '../../time';
import { amountOf, LEN, str, validate } from '../../validate';
import { assertActive, assertAmount, assertNewReference, fingerprint, recordReference, requireAccount } from '../snap/common';
import type { Handler } from '../types';

function bankAccount(bankCode: string | undefined, accountNumber: string) {
  return TEST_BANK_ACCOUNTS.find((b) => b.accountNumber === accountNumber && (bankCode === undefined || b.bankCode === bankCode));
}

/** Transfer Bank Account Inquiry: resolves a test bank account's holder name. */
export const bankAccountInquiry: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'customerNumber', kind: 'string', required: true, max: LEN.customerNumber },
    { path: 'amount', kind: 'money', required: true },
    { path: 'beneficiaryAccountNumber', kind: 'string', required: true, max: LEN.beneficiaryAccountNumber },
    { path: 'beneficiaryBankCode', kind: 'string', max: LEN.bankCode },
    { path: 'additionalInfo', kind: 'object', required: true },
    { path: 'additionalInfo.bankCode', kind: 'string', max: LEN.bankCode },
    { path: 'additionalInfo.beneficiaryBankCode', kind: 'string', max: LEN.bankCode },
    { path: 'additionalInfo.accountId', kind: 'string', max: 36 },
  ]);
  const bankCode =
    str(body, 'additionalInfo.bankCode') ?? str(body, 'additionalInfo.beneficiaryBankCode') ?? str(body, 'beneficiaryBankCode');
  if (!bankCode) throw errors.missingField(svc, 'additionalInfo.bankCode');
  const account = sim.store.accountByPhone(body.customerNumber as string);
  const accountId = str(body, 'additionalInfo.accountId');
  if (!account || (accountId && accountId !== account.accountId)) throw errors.invalidAccount(svc, 'customerNumber');
  const amount = amountOf(body, 'amount') as bigint;
  assertAmount(ctx, amount);
  const target = bankAccount(bankCode, body.beneficiaryAccountNumber as string);
  if (!target) throw errors.invalidAccount(svc, 'beneficiaryAccountNumber');
  const referenceNo = sim.newReferenceNo();
  const sessionId = sim.rng.alphanumeric(16).toUpperCase();
  sim.store.bankInquiries.set(referenceNo, {
    clientId: partner.clientId,
    referenceNo,
    sessionId,
    partnerReferenceNo: body.partnerReferenceNo as string,
    accountId: account.accountId,
    bankCode,
    beneficiaryAccountNumber: target.accountNumber,
    amount,
    createdAt: ctx.now,
  });
  return {
    body: {
      referenceNo,
      partnerReferenceNo: body.partnerReferenceNo,
      beneficiaryAccountNumber: target.accountNumber,
      beneficiaryAccountName: target.accountName,
      beneficiaryBankCode: target.bankCode,
      beneficiaryBankShortName: target.bankShortName,
      beneficiaryBankName: target.bankName,
      accountType: 'SAVINGS',
      amount: money(amount),
      sessionId,
    },
  };
};

/** Transfer Bank Account Payment: debits the wallet once per partnerReferenceNo. */
export const transferBank: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'customerNumber', kind: 'string', required: true, max: LEN.customerNumber },
    { path: 'accountType', kind: 'string', required: true, max: 25, allowEmpty: true },
    { path: 'beneficiaryAccountNumber', kind: 'string', required: true, max: LEN.beneficiaryAccountNumber },
    { path: 'beneficiaryBankCode', kind: 'string', required: true, max: LEN.bankCode },
    { path: 'amount', kind: 'money', required: true },
    { path: 'additionalInfo', kind: 'object', required: true },
    { path: 'additionalInfo.referenceNo', kind: 'string', max: LEN.ref },
    { path: 'additionalInfo.accountId', kind: 'string', max: 36 },
    { path: 'sessionId', kind: 'string', max: LEN.sessionId },
    { path: 'feeType', kind: 'string', max: 25 },
  ]);
  const account = requireAccount(ctx);
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const amount = amountOf(body, 'amount') as bigint;
  const bankCode = body.beneficiaryBankCode as string;
  const beneficiary = body.beneficiaryAccountNumber as string;
  const fp = fingerprint({ amount, bankCode, beneficiary, customer: normalisePhone(body.customerNumber as string) });
  assertNewReference(ctx, svc, partnerReferenceNo, fp);
  const target = bankAccount(bankCode, beneficiary);
  if (!target) throw errors.invalidAccount(svc, 'beneficiaryAccountNumber');
  assertAmount(ctx, amount);
  assertActive(ctx, account);
  const referenceNo = sim.newReferenceNo();
  const transfer: Transfer = {
    kind: 'TRANSFER',
    clientId: partner.clientId,
    accountId: account.accountId,
    partnerReferenceNo,
    referenceNo,
    referenceNumber: `REF${sim.rng.digits(9)}`,
    originalExternalId: ctx.externalId,
    amount,
    bankCode,
    beneficiaryAccountNumber: beneficiary,
    beneficiaryAccountName: target.accountName,
    status: '00',
    createdAt: ctx.now,
    fingerprint: fp,
  };
  sim.store.transfers.set(referenceNo, transfer);
  recordReference(ctx, svc, partnerReferenceNo, fp, referenceNo);
  if (sim.store.available(account) < amount) {
    transfer.status = '06';
    throw errors.insufficientFunds(svc);
  }
  const responseBody = {
    referenceNo,
    partnerReferenceNo,
    transactionDate: toJakartaIso(ctx.now),
    referenceNumber: transfer.referenceNumber,
  };
  if (ctx.faults.pending) {
    transfer.status = '03';
    return { responseCode: `202${svc}00`, responseMessage: 'Request In Progress', body: responseBody };
  }
  settleTransfer(ctx.sim, transfer);
  return { body: responseBody };
};

/** Moves the money of a `00`/`03` transfer (a pending one is settled by the control API). */
export function settleTransfer(sim: import('../../sim').Sim, transfer: Transfer): boolean {
  const account = sim.store.accounts.get(transfer.accountId);
  if (!account || sim.store.available(account) < transfer.amount) {
    transfer.status = '06';
    return false;
  }
  sim.store.post(account, {
    time: sim.now(),
    clientId: transfer.clientId,
    kind: 'TRANSFER_DEBIT',
    delta: -transfer.amount,
    partnerReferenceNo: transfer.partnerReferenceNo,
    referenceNo: transfer.referenceNo,
  });
  transfer.status = '00';
  return true;
}
