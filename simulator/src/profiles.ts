/**
 * Answer profiles: readings of DOKU's pages that the real DOKU may follow where its pages disagree
 * with each other or leave a field optional. The backend's tests run against each of them
 * (`npm run test:variants`), so agreeing with one reading of DOKU is not mistaken for being right.
 * Profiles combine; `strict` is the reading the simulator follows by default.
 */
export const SIMULATOR_PROFILES = {
  strict:
    'The reference reading: SNAP service digits in every code, refundHistory always present, status at once, queries merged correctly.',
  'no-refund-history': 'Query Purchase answers without refundHistory: DOKU lists the field as optional in its samples.',
  'alt-success-codes':
    "The codes of DOKU's DANA and KKI pages: Refund Purchase answers 2000700 (service digits 07 in its errors too), Purchase answers 2000500 (05).",
  'pretty-notifications': "Notifications are sent pretty-printed, signed over the minified body, as DOKU's own libraries sign them.",
  'appended-query': "DOKU appends its parameters to the partner's redirect URL with a second '?' when that URL already has a query.",
  'late-status':
    'Status queries (Query Purchase, Query Top Up, Transaction History Detail) answer "not found" for a while after the transaction was created.',
  'reordered-notifications':
    'Notifications of one transaction may arrive in another order than they happened (a refund before its purchase).',
  'no-expiry':
    'A wallet purchase waiting for the PIN stays waiting (01) after its validUpTo until it is paid or canceled: DOKU describes validUpTo, not the status it leads to.',
} as const;

export type SimulatorProfile = keyof typeof SIMULATOR_PROFILES;
export const SIMULATOR_PROFILE_NAMES = Object.keys(SIMULATOR_PROFILES) as SimulatorProfile[];

export function isSimulatorProfile(name: string): name is SimulatorProfile {
  return Object.prototype.hasOwnProperty.call(SIMULATOR_PROFILES, name);
}

/**
 * The profiles in force: the option when given, else `DOKU_SIM_PROFILES` (comma-separated), else
 * `strict`. An unknown name is refused, so a typo cannot silently test the default reading.
 */
export function resolveProfiles(
  option: readonly string[] | undefined,
  env: string | undefined = process.env.DOKU_SIM_PROFILES,
): Set<SimulatorProfile> {
  const names =
    option ??
    (env
      ? env
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : ['strict']);
  const unknown = names.filter((n) => !isSimulatorProfile(n));
  if (unknown.length > 0)
    throw new Error(`unknown simulator profile(s): ${unknown.join(', ')} (known: ${SIMULATOR_PROFILE_NAMES.join(', ')})`);
  const set = new Set(names as SimulatorProfile[]);
  if (set.size === 0) set.add('strict');
  return set;
}

/** Service digits a profile puts in an endpoint's codes instead of SNAP's. */
export function serviceDigitsFor(profiles: ReadonlySet<SimulatorProfile>, endpoint: string, snap: string): string {
  // DANA's own page answers its payment 2000500 and its refund 2000700, in every profile (docs/channels.md#response-codes).
  if (endpoint === 'danaPayment') return '05';
  if (endpoint === 'danaRefund') return '07';
  if (!profiles.has('alt-success-codes')) return snap;
  if (endpoint === 'refundPurchase') return '07';
  if (endpoint === 'purchaseWeb') return '05';
  return snap;
}
