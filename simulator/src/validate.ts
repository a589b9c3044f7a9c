import { errors } from './codes';
import { MONEY_VALUE, parseMoneyValue } from './money';
import { parseRfc3339 } from './time';

/**
 * Request-body validation with the documented codes: a missing mandatory field is `400xx02`, a wrong type,
 * length or format is `400xx01`. Unknown extra fields are accepted
 * (docs/doku-integration.md#sources-and-confidence).
 */
export type FieldKind = 'string' | 'money' | 'object' | 'array' | 'int' | 'datetime';

export interface FieldSpec {
  path: string;
  kind: FieldKind;
  required?: boolean;
  max?: number;
  min?: number;
  /** A mandatory string may be the empty string (e.g. Transfer Bank `accountType`, empty in DOKU's examples). */
  allowEmpty?: boolean;
  pattern?: RegExp;
  oneOf?: ReadonlyArray<string>;
}

export type Json = Record<string, unknown>;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function getPath(body: unknown, path: string): unknown {
  let cur: unknown = body;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkString(
  svc: string,
  path: string,
  value: unknown,
  spec: Pick<FieldSpec, 'max' | 'min' | 'pattern' | 'oneOf' | 'allowEmpty' | 'required'>,
): void {
  if (typeof value !== 'string') throw errors.invalidFormat(svc, path);
  if (value === '') {
    if (spec.required && !spec.allowEmpty) throw errors.missingField(svc, path);
    return;
  }
  if (CONTROL_CHARS.test(value)) throw errors.invalidFormat(svc, path);
  if (spec.max !== undefined && value.length > spec.max) throw errors.invalidFormat(svc, path);
  if (spec.min !== undefined && value.length < spec.min) throw errors.invalidFormat(svc, path);
  if (spec.pattern && !spec.pattern.test(value)) throw errors.invalidFormat(svc, path);
  if (spec.oneOf && !spec.oneOf.includes(value)) throw errors.invalidFormat(svc, path);
}

export function validateMoney(svc: string, path: string, value: unknown): void {
  if (!isObject(value)) throw errors.invalidFormat(svc, path);
  const v = value.value;
  const c = value.currency;
  if (v === undefined || v === null || v === '') throw errors.missingField(svc, `${path}.value`);
  if (typeof v !== 'string' || !MONEY_VALUE.test(v)) throw errors.invalidFormat(svc, `${path}.value`);
  if (c === undefined || c === null || c === '') throw errors.missingField(svc, `${path}.currency`);
  if (c !== 'IDR') throw errors.invalidFormat(svc, `${path}.currency`);
}

export function validate(svc: string, body: Json, specs: ReadonlyArray<FieldSpec>): void {
  for (const spec of specs) {
    const value = getPath(body, spec.path);
    if (value === undefined || value === null) {
      if (spec.required) throw errors.missingField(svc, spec.path);
      continue;
    }
    switch (spec.kind) {
      case 'string':
        checkString(svc, spec.path, value, spec);
        break;
      case 'datetime':
        checkString(svc, spec.path, value, { ...spec, max: spec.max ?? 25 });
        if (value !== '' && parseRfc3339(value as string) === null) throw errors.invalidFormat(svc, spec.path);
        break;
      case 'money':
        validateMoney(svc, spec.path, value);
        break;
      case 'object':
        if (!isObject(value)) throw errors.invalidFormat(svc, spec.path);
        break;
      case 'array':
        if (!Array.isArray(value)) throw errors.invalidFormat(svc, spec.path);
        break;
      case 'int': {
        const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isInteger(n)) throw errors.invalidFormat(svc, spec.path);
        if (spec.min !== undefined && n < spec.min) throw errors.invalidFormat(svc, spec.path);
        if (spec.max !== undefined && n > spec.max) throw errors.invalidFormat(svc, spec.path);
        break;
      }
    }
  }
}

/** Reads a validated optional string. */
export function str(body: Json, path: string): string | undefined {
  const v = getPath(body, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Reads a validated money field as minor units. */
export function amountOf(body: Json, path: string): bigint | undefined {
  const v = getPath(body, path);
  return isObject(v) && typeof v.value === 'string' ? parseMoneyValue(v.value) : undefined;
}

export function intOf(body: Json, path: string): number | undefined {
  const v = getPath(body, path);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/** The request's additionalInfo, echoed on responses whose table lists it. */
export function additionalInfoOf(body: Json): Json {
  const v = body.additionalInfo;
  return isObject(v) ? v : {};
}

/** Common field lengths (docs/doku-integration.md#business-references). */
export const LEN = {
  ref: 64,
  externalId: 32,
  subMerchantId: 32,
  reason: 256,
  url: 2048,
  urlParam: 512,
  name: 128,
  email: 254,
  phone: 16,
  otp: 8,
  customerNumber: 32,
  beneficiaryAccountNumber: 32,
  bankCode: 11,
  sessionId: 25,
  linkId: 24,
  approvalCode: 20,
  title: 256,
} as const;
