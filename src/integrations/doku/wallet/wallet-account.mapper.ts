import type {
  AccountBindingRequest,
  AccountBindingResponse,
  AccountCreationRequest,
  AccountCreationResponse,
  AccountUnbindingRequest,
  AccountUnbindingResponse,
  VerifyOtpRequest,
  VerifyOtpResponse,
} from './wallet-wire.types';

/**
 * The user's DOKU Wallet account: Account Creation and Verify OTP (registration,
 * docs/doku-integration.md#registration), Account Binding (#binding) and Account Unbinding with its
 * OTP (#unbinding), in our own words. The wire shapes are built and read here only; the accounts
 * feature sees the types below.
 */

/** A new DOKU Wallet account for a user; DOKU sends an OTP to the phone. */
export interface AccountApplication {
  partnerReferenceNo: string;
  name: string;
  email: string;
  /** `62…` */
  phone: string;
  /** Where DOKU's create-PIN page sends the browser once the PIN is set. */
  redirectUrl: string;
}

/** DOKU took the application and sent the OTP. */
export interface AccountApplicationSent {
  /** DOKU's reference of the application, which Verify OTP names; undefined when DOKU gives none. */
  referenceNo: string | undefined;
}

/** An OTP the user typed, for the request DOKU sent it for (an application or an unbinding). */
export interface OtpConfirmation {
  /** Our reference of that request. */
  partnerReferenceNo: string;
  /** DOKU's reference of that request. */
  referenceNo: string;
  otp: string;
}

/** DOKU accepted the OTP. After an application, it names DOKU's create-PIN page and its one-time token. */
export interface OtpVerified {
  pinPageUrl: string | undefined;
  pinPageToken: string | undefined;
}

/** Binding a DOKU Wallet account to the partner: the owner approves it on DOKU's consent page. */
export interface BindingApplication {
  partnerReferenceNo: string;
  /** Where DOKU's consent page sends the browser, with the authCode. */
  redirectUrl: string;
  /** The DOKU account to bind. */
  accountId: string;
  /** The phone of an existing DOKU Wallet, when the user gave it; not sent otherwise. */
  phone?: string;
}

/** DOKU opened the binding: the owner approves it on the page at `consentPageUrl`. */
export interface BindingStarted {
  referenceNo: string | null;
  linkId: string | null;
  /** DOKU's consent page (`nextAction`); undefined when DOKU gives none. */
  consentPageUrl: string | undefined;
  /** DOKU's public id of the user, when it gives one. */
  publicUserId: string | undefined;
}

/** Ending a binding; DOKU normally confirms it with an OTP. */
export interface UnbindingApplication {
  partnerReferenceNo: string;
  /** The binding's link id at DOKU, when known; not sent otherwise. */
  linkId?: string | null;
  accountId: string;
}

/** DOKU's answer to an unbinding. */
export interface UnbindingStarted {
  /** DOKU unbound at once (`unlinkResult: success`); otherwise it waits for the OTP it sent. */
  unlinked: boolean;
  /** DOKU's reference of the unbinding, which Verify OTP names. */
  referenceNo: string | null;
}

export function toAccountCreationRequest(application: AccountApplication): AccountCreationRequest {
  return {
    partnerReferenceNo: application.partnerReferenceNo,
    name: application.name,
    email: application.email,
    phoneNo: application.phone,
    redirectUrl: application.redirectUrl,
  };
}

export function toAccountApplicationSent(body: AccountCreationResponse): AccountApplicationSent {
  return { referenceNo: body.referenceNo };
}

export function toVerifyOtpRequest(confirmation: OtpConfirmation): VerifyOtpRequest {
  return {
    originalPartnerReferenceNo: confirmation.partnerReferenceNo,
    originalReferenceNo: confirmation.referenceNo,
    otp: confirmation.otp,
  };
}

/** DOKU's SDK spells the page `qparamsURL` and its token `qparams`; SNAP `qParamsURL` and `qParams`: both are read. */
export function toOtpVerified(body: VerifyOtpResponse): OtpVerified {
  return {
    pinPageUrl: body.qparamsURL ?? body.qParamsURL,
    pinPageToken: body.qparams?.token ?? body.qParams?.token,
  };
}

export function toAccountBindingRequest(application: BindingApplication): AccountBindingRequest {
  return {
    partnerReferenceNo: application.partnerReferenceNo,
    redirectUrl: application.redirectUrl,
    successParams: { accountId: application.accountId },
    ...(application.phone ? { phoneNo: application.phone } : {}),
  };
}

export function toBindingStarted(body: AccountBindingResponse): BindingStarted {
  return {
    referenceNo: body.referenceNo ?? null,
    linkId: body.linkId ?? null,
    consentPageUrl: body.nextAction,
    publicUserId: body.userInfo?.publicUserId,
  };
}

/** `merchantId` is the partner's DOKU client id. */
export function toAccountUnbindingRequest(application: UnbindingApplication, merchantId: string): AccountUnbindingRequest {
  return {
    merchantId,
    partnerReferenceNo: application.partnerReferenceNo,
    ...(application.linkId ? { linkId: application.linkId } : {}),
    additionalInfo: { accountId: application.accountId },
  };
}

export function toUnbindingStarted(body: AccountUnbindingResponse): UnbindingStarted {
  return {
    unlinked: String(body.unlinkResult ?? '').toLowerCase() === 'success',
    referenceNo: body.referenceNo ?? null,
  };
}
