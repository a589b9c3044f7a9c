/** Our own count of wrong OTPs before we stop calling DOKU (DOKU itself blocks after 3 to 5). */
export const OTP_MAX_ATTEMPTS = 3;
/** DOKU's demo apps show a countdown before "resend"; we refuse earlier resends. */
export const OTP_RESEND_INTERVAL_SECONDS = 60;
/** Resends per registration; after that the user starts a new registration. */
export const OTP_MAX_RESENDS = 3;
