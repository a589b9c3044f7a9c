import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { Type } from 'class-transformer';
import { getMetadataStorage, registerDecorator, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { CreatePurchaseRequestDto } from '../../purchase/dto/create-purchase.request.dto';
import { PurchaseItemDto } from '../../purchase/dto/purchase-item.dto';
import type { Class } from './compiled-validation';
import { CompiledValidation } from './compiled-validation';
import { createValidationPipe } from './validation.pipe';

/** Every DTO file of the API, loaded so that its decorators register. */
async function loadAllDtos(): Promise<void> {
  const paths: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.dto\.ts$/.test(entry.name)) paths.push(path);
    }
  };
  walk(join(__dirname, '..', '..'));
  await Promise.all(paths.map((path) => import(path)));
}

type Ctor = new () => object;

/** A copy as JSON.parse makes a body (structuredClone's objects come from another realm under jest). */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The classes that have validation rules, read from class-validator's own registry. */
function validatedClasses(): Ctor[] {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, unknown[]> };
  return [...storage.validationMetadatas.keys()].filter((k): k is Ctor => typeof k === 'function');
}

/** A body built from the DTO's OpenAPI examples (each property's `example`), nested classes included. */
function exampleOf(ctor: Class, depth = 0): Record<string, unknown> {
  const props = (Reflect.getMetadata('swagger/apiModelPropertiesArray', ctor.prototype) as string[] | undefined) ?? [];
  const body: Record<string, unknown> = {};
  for (const key of props.map((p) => p.replace(/^:/, ''))) {
    const meta = Reflect.getMetadata('swagger/apiModelProperties', ctor.prototype, key) as
      { example?: unknown; type?: unknown; isArray?: boolean } | undefined;
    if (meta?.example !== undefined) body[key] = copy(meta.example);
    else if (depth < 3 && typeof meta?.type === 'function' && Reflect.getMetadata('swagger/apiModelPropertiesArray', meta.type.prototype)) {
      const nested = exampleOf(meta.type as Class, depth + 1);
      body[key] = meta.isArray ? [nested] : nested;
    }
  }
  return body;
}

const ODD_VALUES: unknown[] = [
  null,
  '',
  ' ',
  'x',
  'a\u0000b',
  'x'.repeat(300),
  '12345678',
  0,
  -1,
  1,
  1.5,
  2 ** 53,
  1000,
  1001,
  true,
  false,
  [],
  [{}],
  [[]],
  ['x'],
  {},
  { a: 1 },
];

/** The example, and variations of it: each property left out, replaced by odd values or by the other DTOs' example values, an unknown key, nested mutations. */
function variationsOf(example: Record<string, unknown>, pool: unknown[] = []): unknown[] {
  const out: unknown[] = [example, {}];
  for (const key of Object.keys(example)) {
    const without = { ...example };
    delete without[key];
    out.push(without);
    for (const odd of [...ODD_VALUES, ...pool]) out.push({ ...example, [key]: copy(odd) });
    for (const other of Object.keys(example)) {
      if (other === key) continue;
      const both = { ...without };
      delete both[other];
      out.push(both);
    }
    const value = example[key];
    if (Array.isArray(value) && value.length > 0 && value[0] !== null && typeof value[0] === 'object') {
      for (const inner of variationsOf(value[0] as Record<string, unknown>).slice(0, 40)) {
        out.push({ ...example, [key]: [inner] });
        out.push({ ...example, [key]: [value[0], inner] });
      }
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const inner of variationsOf(value as Record<string, unknown>).slice(0, 40)) out.push({ ...example, [key]: inner });
    }
  }
  out.push({ ...example, notAField: 1 }, { ...example, constructor: 'x' });
  return out;
}

/** The same instance, class by class: toStrictEqual also compares the classes of nested objects. */
function expectSameInstance(fast: unknown, full: unknown): void {
  expect(fast).toStrictEqual(full);
  expect(Object.getPrototypeOf(fast)).toBe(Object.getPrototypeOf(full));
}

/** The API pipe's options (validation.pipe.ts). */
const PIPE_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, transform: true, forbidUnknownValues: true };

describe('CompiledValidation', () => {
  const pipe = createValidationPipe();
  /** The full way: Nest's ValidationPipe with the API's options (class-transformer, class-validator). */
  const fullWay = async (metatype: Class, body: unknown): Promise<{ ok: true; value: unknown } | { ok: false }> => {
    try {
      const value = await ValidationPipe.prototype.transform.call(pipe, copy(body), { type: 'body', metatype } as ArgumentMetadata);
      return { ok: true, value };
    } catch {
      return { ok: false };
    }
  };

  it('accepts a body only when the full way accepts it, with the same instance, over every DTO of the API', async () => {
    await loadAllDtos();
    const classes = validatedClasses();
    expect(classes.length).toBeGreaterThan(30);
    const compiled = new CompiledValidation(PIPE_OPTIONS);
    // Every example value of every DTO, to try under every property: many are valid elsewhere.
    const seen = new Set<string>();
    const pool: unknown[] = [];
    for (const ctor of classes)
      for (const value of Object.values(exampleOf(ctor)))
        if (!seen.has(JSON.stringify(value))) {
          seen.add(JSON.stringify(value));
          pool.push(value);
        }
    let accepted = 0;
    let checked = 0;
    const acceptedClasses = new Set<string>();
    for (const ctor of classes) {
      for (const body of variationsOf(exampleOf(ctor), pool)) {
        const fast = compiled.accept(ctor, copy(body));
        checked += 1;
        if (fast === undefined) continue;
        accepted += 1;
        acceptedClasses.add(ctor.name);
        const full = await fullWay(ctor, body);
        if (!full.ok) throw new Error(`${ctor.name}: accepted here but refused the full way: ${JSON.stringify(body)}`);
        expectSameInstance(fast, full.value);
      }
    }
    // The check must have exercised the accepting side on most DTOs, not only refusals.
    expect(checked).toBeGreaterThan(5000);
    expect(accepted).toBeGreaterThan(500);
    expect(acceptedClasses.size).toBeGreaterThan(classes.length / 2);
    expect(acceptedClasses).toContain('CreatePurchaseRequestDto');
  });

  it('accepts a purchase with items as the DTO instances, and leaves what it refuses to the full way', async () => {
    const compiled = new CompiledValidation(PIPE_OPTIONS);
    const body = { amount: 50000, description: 'Kopi', items: [{ name: 'Kopi susu', price: 25000, quantity: 2 }] };
    const fast = compiled.accept(CreatePurchaseRequestDto, body) as CreatePurchaseRequestDto;
    expect(fast).toBeInstanceOf(CreatePurchaseRequestDto);
    expect(fast.items?.[0]).toBeInstanceOf(PurchaseItemDto);
    expect(fast.amount).toBe(50000);
    const full = await fullWay(CreatePurchaseRequestDto, body);
    expect(full.ok).toBe(true);
    expectSameInstance(fast, full.ok ? full.value : undefined);
    // Refused the full way, so not accepted here.
    for (const bad of [
      { amount: 0 },
      { amount: '5' },
      { amount: 5, extra: true },
      { amount: 5, items: [{ name: 'x', price: 1, quantity: 0 }] },
      { amount: 5, items: [[{ name: 'x', price: 1, quantity: 1 }]] },
      { amount: 5, returnToApp: null },
    ]) {
      expect(compiled.accept(CreatePurchaseRequestDto, bad)).toBeUndefined();
      expect((await fullWay(CreatePurchaseRequestDto, bad)).ok).toBe(false);
    }
    // Not a plain object: the full way decides.
    expect(compiled.accept(CreatePurchaseRequestDto, null)).toBeUndefined();
    expect(compiled.accept(CreatePurchaseRequestDto, [body])).toBeUndefined();
  });

  it('accepts nothing under pipe options it does not reproduce', () => {
    const body = { amount: 50000 };
    expect(new CompiledValidation(PIPE_OPTIONS).accept(CreatePurchaseRequestDto, body)).toBeInstanceOf(CreatePurchaseRequestDto);
    for (const options of [
      { ...PIPE_OPTIONS, whitelist: false },
      { ...PIPE_OPTIONS, forbidNonWhitelisted: false },
      { ...PIPE_OPTIONS, transform: false },
      { ...PIPE_OPTIONS, forbidUnknownValues: false },
      { ...PIPE_OPTIONS, groups: ['admin'] },
      { ...PIPE_OPTIONS, skipMissingProperties: true },
    ]) {
      expect(new CompiledValidation(options).accept(CreatePurchaseRequestDto, body)).toBeUndefined();
    }
    // The API's own pipe is built with options it reproduces: its valid bodies take the compiled path.
    const apiPipe = createValidationPipe() as unknown as { compiled: CompiledValidation };
    expect(apiPipe.compiled.accept(CreatePurchaseRequestDto, body)).toBeInstanceOf(CreatePurchaseRequestDto);
  });

  it('reads rules registered after its first use', () => {
    class Later {
      @IsInt()
      n!: number;
    }
    const compiled = new CompiledValidation(PIPE_OPTIONS);
    expect(compiled.accept(Later, { n: 1 })).toBeInstanceOf(Later);
    // A rule added once the class was read (as a class loaded later would): the old reading is dropped.
    Min(5)(Later.prototype, 'n');
    expect(compiled.accept(Later, { n: 1 })).toBeUndefined();
    expect(compiled.accept(Later, { n: 6 })).toBeInstanceOf(Later);
  });

  it('leaves to the full way what it does not build: an object under a property without @Type, a property without rules, an async rule', async () => {
    class Loose {
      @IsOptional()
      @ValidateNested()
      inner?: object;
    }
    class Inner {
      @IsString()
      s!: string;
    }
    class Typed {
      @ValidateNested()
      @Type(() => Inner)
      inner!: Inner;
    }
    const compiled = new CompiledValidation(PIPE_OPTIONS);
    expect(compiled.accept(Loose, { inner: { s: 'x' } })).toBeUndefined();
    expect(compiled.accept(Loose, {})).toBeInstanceOf(Loose);
    const typed = compiled.accept(Typed, { inner: { s: 'x' } }) as Typed;
    expect(typed.inner).toBeInstanceOf(Inner);
    expect(compiled.accept(Typed, { inner: { s: 1 } })).toBeUndefined();
    expect(compiled.accept(Typed, { inner: null })).toBeUndefined();

    class Checked {
      @IsString()
      s!: string;
    }
    // A property the class sets itself, without rules: the whitelist refuses it the full way.
    class SetsItsOwn {
      @IsInt()
      n!: number;
      extra: number;
      constructor() {
        this.extra = 1;
      }
    }
    expect(compiled.accept(SetsItsOwn, { n: 1 })).toBeUndefined();
    expect((await fullWay(SetsItsOwn, { n: 1 })).ok).toBe(false);

    registerDecorator({ name: 'slowCheck', target: Checked, propertyName: 's', async: true, validator: { validate: async () => true } });
    expect(compiled.accept(Checked, { s: 'x' })).toBeUndefined();
  });
});
