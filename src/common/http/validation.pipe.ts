import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import type { ValidationPipeOptions } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import type { Class } from './compiled-validation';
import { CompiledValidation } from './compiled-validation';
import { cacheValidationMetadata } from './validation-metadata-cache';

export interface FieldProblem {
  field: string;
  reasons: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, reasons: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * A body declared as a DTO must be a JSON object when one is sent: Nest's pipe turns `null` into `{}`,
 * so a route whose fields are all optional took `null` as an empty request (and acted on it).
 */
class BodyObjectValidationPipe extends ValidationPipe {
  private readonly compiled: CompiledValidation;

  constructor(options: ValidationPipeOptions) {
    super(options);
    // Given the same options: it accepts nothing under options it does not reproduce.
    this.compiled = new CompiledValidation(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const declared =
      metadata.type === 'body' &&
      typeof metadata.metatype === 'function' &&
      ![Object, Array, String, Number, Boolean].includes(metadata.metatype as never);
    if (declared && value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new AppError('REQUEST.VALIDATION_FAILED', 'The request has invalid fields', {
        fields: [{ field: 'body', reasons: ['the body must be a JSON object'] }],
      });
    }
    if (declared) {
      // A valid body is accepted without class-transformer and class-validator; anything else
      // takes the full way, which writes the error messages (compiled-validation.ts).
      const accepted = this.compiled.accept(metadata.metatype as Class, value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata);
  }
}

/**
 * The one validation pipe: unknown fields are refused (no mass assignment), values are transformed
 * to their DTO types, and every problem is reported as `details.fields`.
 */
export function createValidationPipe(): ValidationPipe {
  cacheValidationMetadata();
  return new BodyObjectValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new AppError('REQUEST.VALIDATION_FAILED', 'The request has invalid fields', { fields: flatten(errors) }),
  });
}
