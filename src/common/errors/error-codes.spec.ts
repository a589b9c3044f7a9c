import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, httpStatusFor } from './error-codes';
import type { ErrorCode } from './error-codes';

const ROOT = join(__dirname, '..', '..', '..');

/** Every `.ts` file under `dir` except tests. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The rows of docs/error-codes.md: code → HTTP status (or the section's second column). */
function documented(): { answers: Map<string, string>; recordsOnly: Set<string> } {
  const doc = readFileSync(join(ROOT, 'docs', 'error-codes.md'), 'utf8');
  const split = doc.indexOf('## Failure codes on records only');
  expect(split).toBeGreaterThan(0);
  const rows = (text: string) => [...text.matchAll(/^\| `([A-Z]+\.[A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()] as const);
  return { answers: new Map(rows(doc.slice(0, split))), recordsOnly: new Set(rows(doc.slice(split)).map(([code]) => code)) };
}

/**
 * The error codes are a public contract (clients branch on them): every one the code can return or
 * record is listed in docs/error-codes.md with its HTTP status, and the page lists nothing else.
 */
describe('error codes and their documentation', () => {
  const { answers, recordsOnly } = documented();
  const namespaces = new Set(Object.keys(ERROR_CODES).map((code) => code.split('.')[0]));

  it('every code of ERROR_CODES is documented with its HTTP status, and the page lists no other error answer', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect({ code, status: answers.get(code) }).toEqual({ code, status: String(httpStatusFor(code)) });
    }
    expect([...answers.keys()].filter((code) => !Object.prototype.hasOwnProperty.call(ERROR_CODES, code))).toEqual([]);
  });

  it('every code written anywhere under src/ (thrown, mapped or recorded as a failure code) is documented', () => {
    const used = new Map<string, string>();
    for (const file of sources(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/'([A-Z]+)\.([A-Z][A-Z0-9_]+)'/g)) {
        if (namespaces.has(m[1])) used.set(`${m[1]}.${m[2]}`, file.slice(ROOT.length + 1));
      }
      for (const m of text.matchAll(/failureCode:\s*'([A-Z]+\.[A-Z0-9_]+)'/g)) used.set(m[1], file.slice(ROOT.length + 1));
    }
    // The scan finds what it should: codes thrown, mapped and recorded.
    expect(used.has('PURCHASE.NOT_FOUND')).toBe(true);
    expect(used.has('DOKU.INSUFFICIENT_BALANCE')).toBe(true);
    expect(used.has('WALLET.ACCOUNT_NOT_CREATED')).toBe(true);
    const undocumented = [...used]
      .filter(([code]) => !answers.has(code) && !recordsOnly.has(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(undocumented).toEqual([]);
  });
});
