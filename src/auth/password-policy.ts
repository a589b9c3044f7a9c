import type { ValidationArguments, ValidationOptions } from 'class-validator';
import { registerDecorator } from 'class-validator';

let common: Set<string> | undefined;

/**
 * The ~49,000 most common passwords from leaked-password corpora, as maintained by the zxcvbn-ts
 * project (@zxcvbn-ts/language-common). Loaded on first use.
 */
function commonPasswords(): Set<string> {
  if (!common) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return common;
}

/**
 * Why a password is refused, or null when it is acceptable. Besides the length (checked by the
 * DTO), a password must not be one of the common leaked passwords, and must not contain the
 * person's own email name or phone number, which are the first things a guesser tries.
 */
export function passwordWeakness(password: string, person: { email?: unknown; phone?: unknown } = {}): string | null {
  const lower = password.toLowerCase();
  const common = commonPasswords();
  if (common.has(lower) || common.has(lower.replace(/[\d!.?]+$/, ''))) {
    return 'password is one of the most common passwords; choose another';
  }
  if (/^(.)\1+$/.test(password)) return 'password must not be one character repeated';
  const local = typeof person.email === 'string' ? person.email.split('@')[0].toLowerCase() : '';
  if (local.length >= 4 && lower.includes(local)) return 'password must not contain the email address';
  const phone = typeof person.phone === 'string' ? person.phone : '';
  if (phone.length >= 8 && (password.includes(phone) || password.includes(`0${phone.slice(2)}`))) {
    return 'password must not contain the phone number';
  }
  return null;
}

/** Class-validator rule applying passwordWeakness() with the DTO's email and phone. */
export function IsAcceptablePassword(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => typeof value !== 'string' || passwordWeakness(value, args.object) === null,
        defaultMessage: (args: ValidationArguments) => passwordWeakness(String(args.value), args.object) ?? 'password is not acceptable',
      },
    });
  };
}
