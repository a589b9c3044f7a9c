import { createHash } from 'node:crypto';
import { preparedText } from './sql';

// Texts assembled at run time, as the purchase's statements are: never the same string object twice.
const assemble = (...parts: string[]): string => parts.join('');

describe('preparedText', () => {
  it('names an equal text the same, however it was assembled, and answers the text it first named', () => {
    const first = preparedText(assemble('SELECT $1::int ', 'AS spec_a'));
    const again = preparedText(assemble('SELECT $1::int AS ', 'spec_a'));
    expect(again.name).toBe(first.name);
    expect(again.text).toBe('SELECT $1::int AS spec_a');
    // The same string object, so node-postgres's prepared-on-this-connection check is an identity check.
    expect(Object.is(again, first)).toBe(true);
  });

  it('gives texts of the same length different names, and each its own text back', () => {
    const a = preparedText(assemble('SELECT $1::int AS spec_', 'x'));
    const b = preparedText(assemble('SELECT $1::int AS spec_', 'y'));
    expect(a.text.length).toBe(b.text.length);
    expect(a.name).not.toBe(b.name);
    expect(a.text).toBe('SELECT $1::int AS spec_x');
    expect(b.text).toBe('SELECT $1::int AS spec_y');
    // Asked again in the other order, each still finds its own.
    expect(preparedText(assemble('SELECT $1::int AS spec_', 'y')).name).toBe(b.name);
    expect(preparedText(assemble('SELECT $1::int AS spec_', 'x')).name).toBe(a.name);
  });

  it('derives the name from the text alone, as every instance of the backend does', () => {
    const text = assemble('UPDATE spec_t SET n = $1 ', 'WHERE id = $2');
    expect(preparedText(text).name).toMatch(/^s_[A-Za-z0-9_-]{32}$/);
    // Another process's first sight of the text gives the same name: the name is a digest of the text.
    expect(preparedText(text).name).toBe(`s_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`);
  });

  it('keeps naming texts correctly past the number it remembers', () => {
    const names = new Set<string>();
    for (let i = 0; i < 600; i++) names.add(preparedText(assemble('SELECT ', String(i).padStart(4, '0'), ' AS spec_many')).name);
    expect(names.size).toBe(600);
    // One remembered early and one past the bound are each still named as before.
    const early = assemble('SELECT ', '0001', ' AS spec_many');
    const late = assemble('SELECT ', '0599', ' AS spec_many');
    expect(preparedText(early).name).toBe(preparedText(assemble('SELECT 0001', ' AS spec_many')).name);
    expect(preparedText(late).name).toBe(preparedText(assemble('SELECT 0599', ' AS spec_many')).name);
    expect(preparedText(early).name).not.toBe(preparedText(late).name);
  });
});
