/** Our own count of wrong OTPs before we stop calling DOKU (§3.4: DOKU blocks after 3 to 5). */
export const OTP_MAX_ATTEMPTS = 3;
/** The demo apps show a countdown before "resend" (§3.2 A.3); we refuse earlier resends. */
export const OTP_RESEND_INTERVAL_SECONDS = 60;
/** Resends per registration; after that the user starts a new registration. */
export const OTP_MAX_RESENDS = 3;
