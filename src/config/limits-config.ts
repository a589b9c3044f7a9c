/**
 * E-money limits (docs/limits.md): the partner's rules, read from the environment and validated at
 * start. The defaults of the balance and monthly figures follow Bank Indonesia's e-money rules as
 * the README states them; every figure can be changed without code.
 */

/** Bank Indonesia's two levels of an e-money account: without and with verified identity. */
export const ACCOUNT_LEVELS = ['UNREGISTERED', 'REGISTERED'] as const;
export type AccountLevel = (typeof ACCOUNT_LEVELS)[number];

/** Who asks for the money movement: a signed-in person (mobile user, back office) or an internal service. */
export const CALLER_KINDS = ['user', 'service'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** The limits of one channel and caller kind; a missing figure is no limit. */
export interface ChannelLimits {
  /** Largest amount of one operation, rupiah. */
  perTransaction?: number;
  /** Largest total of a calendar day (Asia/Jakarta), rupiah. */
  perDay?: number;
  /** Most operations started in one clock hour (Asia/Jakarta). */
  perHour?: number;
}

export interface LimitsSection {
  /** False: nothing is counted or refused (EMONEY_LIMITS_ENABLED). */
  enabled: boolean;
  /** Largest balance per account level, rupiah; null: no limit. */
  maxBalance: Record<AccountLevel, number | null>;
  /** Largest total coming into a wallet in one calendar month (Asia/Jakarta), rupiah; null: no limit. */
  monthlyIncoming: number | null;
  /** The level of a user the partner has not marked (docs/limits.md#account-level). */
  defaultAccountLevel: AccountLevel;
  /**
   * Per channel and caller kind, keyed `<channel>:<caller>`; `*` stands for any channel or any
   * caller. The channel is a purchase's payment method, `TOP_UP` or `BANK_TRANSFER`. The most
   * specific key that exists applies (`DANA:user`, then `DANA:*`, then `*:user`, then `*:*`).
   */
  channels: Record<string, ChannelLimits>;
}

type Env = Record<string, string | undefined>;

const CHANNEL_KEY = /^(\*|[A-Z][A-Z0-9_]{1,39}):(\*|user|service)$/;
const CHANNEL_FIELDS: readonly (keyof ChannelLimits)[] = ['perTransaction', 'perDay', 'perHour'];

/** The limits section, every problem added to `problems` (reported together at start). */
export function limitsConfig(env: Env, problems: string[]): LimitsSection {
  const amountOrNone = (key: string, fallback: number | null): number | null => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    if (raw.toLowerCase() === 'none') return null;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) {
      problems.push(`${key} must be a whole number of rupiah of at least 1, or "none" (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  let enabled = true;
  const rawEnabled = (env.EMONEY_LIMITS_ENABLED ?? '').toLowerCase();
  if (['false', '0', 'no'].includes(rawEnabled)) enabled = false;
  else if (!['', 'true', '1', 'yes'].includes(rawEnabled))
    problems.push(`EMONEY_LIMITS_ENABLED must be true or false (got "${rawEnabled}")`);

  const level = env.EMONEY_DEFAULT_ACCOUNT_LEVEL ?? 'UNREGISTERED';
  if (!(ACCOUNT_LEVELS as readonly string[]).includes(level)) {
    problems.push(`EMONEY_DEFAULT_ACCOUNT_LEVEL must be ${ACCOUNT_LEVELS.join(' or ')} (got "${level}")`);
  }
  const maxBalance = {
    UNREGISTERED: amountOrNone('EMONEY_MAX_BALANCE_UNREGISTERED', 2_000_000),
    REGISTERED: amountOrNone('EMONEY_MAX_BALANCE_REGISTERED', 20_000_000),
  };
  return {
    enabled,
    maxBalance,
    monthlyIncoming: amountOrNone('EMONEY_MONTHLY_INCOMING_LIMIT', 40_000_000),
    defaultAccountLevel: (ACCOUNT_LEVELS as readonly string[]).includes(level) ? (level as AccountLevel) : 'UNREGISTERED',
    channels: channelLimits(env.EMONEY_CHANNEL_LIMITS, problems),
  };
}

/** `EMONEY_CHANNEL_LIMITS`: a JSON object of `<channel>:<caller>` to `{perTransaction?, perDay?, perHour?}`. */
function channelLimits(raw: string | undefined, problems: string[]): Record<string, ChannelLimits> {
  if (raw === undefined || raw.trim() === '') return {};
  const name = 'EMONEY_CHANNEL_LIMITS';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${name} must be JSON: an object of "<channel>:<user|service|*>" to {perTransaction, perDay, perHour}`);
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`${name} must be a JSON object of "<channel>:<user|service|*>" to {perTransaction, perDay, perHour}`);
    return {};
  }
  const result: Record<string, ChannelLimits> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!CHANNEL_KEY.test(key)) {
      problems.push(`${name}: "${key}" must be <channel>:<caller>, e.g. DOKU_WALLET:user, TOP_UP:service, *:*`);
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${name}: "${key}" must be an object with perTransaction, perDay or perHour`);
      continue;
    }
    const limits: ChannelLimits = {};
    for (const [field, figure] of Object.entries(value as Record<string, unknown>)) {
      if (!(CHANNEL_FIELDS as readonly string[]).includes(field)) {
        problems.push(`${name}: "${key}" has an unknown field "${field}" (known: ${CHANNEL_FIELDS.join(', ')})`);
        continue;
      }
      if (typeof figure !== 'number' || !Number.isSafeInteger(figure) || figure < 1) {
        problems.push(`${name}: "${key}".${field} must be a whole number of at least 1`);
        continue;
      }
      limits[field as keyof ChannelLimits] = figure;
    }
    result[key] = limits;
  }
  return result;
}

/** The limits of one channel and caller kind: the most specific configured key. */
export function channelLimitsFor(section: LimitsSection, channel: string, caller: CallerKind): ChannelLimits {
  for (const key of [`${channel}:${caller}`, `${channel}:*`, `*:${caller}`, '*:*']) {
    const found = section.channels[key];
    if (found) return found;
  }
  return {};
}
