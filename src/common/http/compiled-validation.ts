import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { TransformationType } from 'class-transformer';
import type { ValidationPipeOptions } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { cacheValidationMetadata, validationMetadataGeneration } from './validation-metadata-cache';

type Storage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];
type TypeMetadata = NonNullable<ReturnType<typeof defaultMetadataStorage.findTypeMetadata>>;
type Ctor = new () => Record<string, unknown>;
/** A DTO class, as Nest passes it to pipes. */
export type Class = new (...args: never[]) => unknown;
type Condition = (object: object, value: unknown) => boolean;

/** One rule as class-validator runs it: its constraint's `validate`, on the value or on each element. */
interface Rule {
  metadata: ValidationMetadata;
  validate: (value: unknown, args: unknown) => unknown;
}

interface PropertyRules {
  name: string;
  conditions: Condition[];
  /** IsDefined rules, then the others, in the order class-validator runs them. */
  rules: Rule[];
  /** ValidateNested rules: their class-validator "schema" is the declaring class's name. */
  nested: string[];
}

/** How class-validator checks instances of a class: its rules grouped by property, in its order. */
interface ClassRules {
  allowed: Set<string>;
  properties: PropertyRules[];
}

/** How class-transformer builds an instance of a class from a plain object. */
interface ClassShape {
  ctor: Ctor;
  /** The properties a body may carry: those with rules (the others are refused by the whitelist anyway). */
  keys: Set<string>;
  types: Map<string, TypeMetadata>;
}

/** Targets class-transformer converts rather than builds as a class. */
const CONVERTED = new Set<unknown>([String, Number, Boolean, Date, Buffer, Map, Set, Array, Object, Promise]);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

const isScalar = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const isPromise = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

/** The only validation options the compiled path reproduces: the API pipe's (validation.pipe.ts). */
const REPRODUCED: ReadonlySet<string> = new Set([
  'whitelist',
  'forbidNonWhitelisted',
  'transform',
  'forbidUnknownValues',
  'validationError',
  'exceptionFactory',
]);

/** Whether the pipe's options are those: whitelist, forbidNonWhitelisted and transformation on, unknown values refused, nothing else set. */
function reproduces(options: ValidationPipeOptions): boolean {
  return (
    options.whitelist === true &&
    options.forbidNonWhitelisted === true &&
    options.transform === true &&
    options.forbidUnknownValues !== false &&
    Object.entries(options).every(([key, value]) => value === undefined || REPRODUCED.has(key))
  );
}

/**
 * The request bodies that are valid, accepted without class-transformer and class-validator, which
 * cost about 50 µs of each purchase's CPU (docs/performance.md). For a DTO whose decorators it can
 * read, it builds the instance as class-transformer would and runs the same rules class-validator
 * would (each constraint's own `validate`, so the rules themselves are not written twice), under
 * the options of the API's validation pipe: whitelist, forbidNonWhitelisted, forbidUnknownValues, no
 * groups, transformation on.
 *
 * Under any other pipe options (`reproduces`) it accepts nothing. It only ever answers "valid, and
 * here is the instance": anything it is not sure of (a rule that
 * fails, an async rule, @Transform, @Expose or @Exclude, a nested value it would have to copy
 * rather than build) makes it answer `undefined`, and the pipe takes the full way, which also
 * writes the error messages. So a request can only be accepted here if the full way accepts it,
 * with the same instance (test: compiled-validation.spec.ts checks this over every DTO of the API).
 */
export class CompiledValidation {
  private readonly enabled: boolean;
  private generation = -1;
  private shapes = new Map<Class, ClassShape | null>();
  private rules = new Map<Class, Map<string | undefined, ClassRules | null>>();

  constructor(
    pipeOptions: ValidationPipeOptions,
    private readonly storage: Storage = getMetadataStorage(),
  ) {
    this.enabled = reproduces(pipeOptions);
    // Its generation tells when a rule registered later makes what was read here stale.
    cacheValidationMetadata(storage);
  }

  /** The DTO instance for a valid body, or `undefined`: take the full way. */
  accept(metatype: Class, body: unknown): object | undefined {
    if (!this.enabled || !isPlainObject(body)) return undefined;
    const current = validationMetadataGeneration();
    if (current !== this.generation) {
      // A rule was registered since the rules were read (decorators run as classes load).
      this.generation = current;
      this.shapes = new Map();
      this.rules = new Map();
    }
    const built = this.build(metatype, body);
    if (built === undefined) return undefined;
    return this.valid(built, undefined) ? built : undefined;
  }

  // ---- class-transformer's plainToInstance, for the shapes it handles ----

  private shapeOf(target: Class): ClassShape | null {
    let shape = this.shapes.get(target);
    if (shape === undefined) {
      shape = this.readShape(target);
      this.shapes.set(target, shape);
    }
    return shape;
  }

  private readShape(target: Class): ClassShape | null {
    if (CONVERTED.has(target)) return null;
    const classRules = this.rulesOf(target, undefined);
    if (!classRules || classRules.allowed.size === 0) return null;
    // @Expose and @Exclude change which keys are copied and under which name.
    if (defaultMetadataStorage.getExposedMetadatas(target).length > 0) return null;
    if (defaultMetadataStorage.getExcludedMetadatas(target).length > 0) return null;
    const ctor = target as Ctor;
    const blank = new ctor();
    const keys = new Set<string>();
    const types = new Map<string, TypeMetadata>();
    for (const key of classRules.allowed) {
      if (key === '__proto__' || key === 'constructor') continue;
      if (defaultMetadataStorage.findTransformMetadatas(target, key, TransformationType.PLAIN_TO_CLASS).length > 0) return null;
      // class-transformer leaves out a key the prototype has an accessor without setter for, or a method.
      const descriptor = Object.getOwnPropertyDescriptor(ctor.prototype, key);
      if ((descriptor && !descriptor.set) || blank[key] instanceof Function) continue;
      const type = defaultMetadataStorage.findTypeMetadata(target, key);
      if (type) {
        if (type.options?.discriminator || type.reflectedType === Map) return null;
        types.set(key, type);
      }
      keys.add(key);
    }
    return { ctor, keys, types };
  }

  private build(target: Class, plain: Record<string, unknown>): Record<string, unknown> | undefined {
    const shape = this.shapeOf(target);
    if (!shape) return undefined;
    const keys = Object.keys(plain);
    for (const key of keys) if (!shape.keys.has(key)) return undefined;
    const instance = new shape.ctor();
    for (const key of keys) {
      const value = plain[key];
      const type = shape.types.get(key);
      if (type === undefined) {
        if (value === null || typeof value !== 'object') {
          instance[key] = value;
        } else if (Array.isArray(value) && value.every(isScalar)) {
          // An array of strings, numbers, booleans or nulls is copied into a new array.
          instance[key] = value.slice();
        } else {
          // Other objects and arrays without @Type are copied deep by class-transformer: not handled here.
          return undefined;
        }
        continue;
      }
      if (value === null || typeof value !== 'object') return undefined;
      const element: unknown = type.typeFunction
        ? type.typeFunction({ newObject: instance, object: plain, property: key })
        : (type.reflectedType as unknown);
      if (typeof element !== 'function') return undefined;
      if (Array.isArray(value)) {
        // An array becomes a new array (its declared type is Array), each element built as the class.
        if (type.reflectedType !== undefined && type.reflectedType !== Array) return undefined;
        const items: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (!isPlainObject(item)) return undefined;
          const built = this.build(element as Class, item);
          if (built === undefined) return undefined;
          items.push(built);
        }
        instance[key] = items;
      } else {
        if (!isPlainObject(value)) return undefined;
        const built = this.build(element as Class, value);
        if (built === undefined) return undefined;
        instance[key] = built;
      }
    }
    return instance;
  }

  // ---- class-validator's validate, for valid objects ----

  private rulesOf(target: Class, schema: string | undefined): ClassRules | null {
    let bySchema = this.rules.get(target);
    if (bySchema === undefined) {
      bySchema = new Map();
      this.rules.set(target, bySchema);
    }
    let found = bySchema.get(schema);
    if (found === undefined) {
      found = this.readRules(target, schema);
      bySchema.set(schema, found);
    }
    return found;
  }

  private readRules(target: Class, schema: string | undefined): ClassRules | null {
    // The lookup class-validator's executor makes with the pipe's options (no groups, not "always").
    const metadatas = this.storage.getTargetValidationMetadatas(target, schema as string, false, false, undefined);
    const grouped = this.storage.groupByPropertyName(metadatas);
    const allowed = new Set<string>();
    const properties: PropertyRules[] = [];
    for (const name of Object.keys(grouped)) {
      const all = grouped[name];
      if (all.length > 0) allowed.add(name);
      const conditions: Condition[] = [];
      const defined: Rule[] = [];
      const custom: Rule[] = [];
      const nested: string[] = [];
      for (const metadata of all) {
        switch (metadata.type) {
          case ValidationTypes.WHITELIST:
            break;
          case ValidationTypes.CONDITIONAL_VALIDATION:
            conditions.push(metadata.constraints[0] as Condition);
            break;
          case ValidationTypes.NESTED_VALIDATION:
            nested.push(typeof metadata.target === 'string' ? metadata.target : metadata.target.name);
            break;
          case ValidationTypes.IS_DEFINED:
          case ValidationTypes.CUSTOM_VALIDATION: {
            const rules = metadata.type === ValidationTypes.IS_DEFINED ? defined : custom;
            for (const constraint of this.storage.getTargetValidatorConstraints(metadata.constraintCls)) {
              if (constraint.async) return null;
              const instance = constraint.instance as { validate: Rule['validate'] };
              rules.push({ metadata, validate: instance.validate.bind(instance) });
            }
            break;
          }
          default:
            // Promise validation, or a kind this does not know.
            return null;
        }
      }
      properties.push({ name, conditions, rules: [...defined, ...custom], nested });
    }
    return { allowed, properties };
  }

  private valid(object: Record<string, unknown>, schema: string | undefined): boolean {
    const rules = this.rulesOf(object.constructor as Class, schema);
    // No rules at all: forbidUnknownValues refuses it.
    if (!rules || rules.allowed.size === 0) return false;
    // whitelist + forbidNonWhitelisted: a property without rules is refused.
    for (const key of Object.keys(object)) if (!rules.allowed.has(key)) return false;
    for (const property of rules.properties) {
      const value = object[property.name];
      let applies = true;
      for (const condition of property.conditions) applies = condition(object, value) && applies;
      if (!applies) continue;
      for (const rule of property.rules) if (!this.passes(object, value, rule)) return false;
      if (value === undefined) continue;
      for (const nestedSchema of property.nested) {
        if (Array.isArray(value)) {
          for (const item of value as unknown[]) {
            if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
            if (!this.valid(item as Record<string, unknown>, nestedSchema)) return false;
          }
        } else if (value !== null && typeof value === 'object') {
          if (!this.valid(value as Record<string, unknown>, nestedSchema)) return false;
        } else {
          return false;
        }
      }
    }
    return true;
  }

  private passes(object: Record<string, unknown>, value: unknown, rule: Rule): boolean {
    const { metadata } = rule;
    if (metadata.validateIf && !metadata.validateIf(object, value)) return true;
    const args = {
      targetName: object.constructor ? object.constructor.name : undefined,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    if (!metadata.each || !(Array.isArray(value) || value instanceof Set || value instanceof Map)) {
      const result = rule.validate(value, args);
      return !isPromise(result) && Boolean(result);
    }
    const items: unknown[] = value instanceof Map ? [...value.values()] : [...(value as Iterable<unknown>)];
    for (const item of items) {
      const result = rule.validate(item, args);
      if (isPromise(result) || !result) return false;
    }
    return true;
  }
}
