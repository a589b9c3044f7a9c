import { Injectable, PipeTransform } from '@nestjs/common';
import { AppError } from '../errors/app-error';

/**
 * For a POST that takes no body: nothing, or an empty object, passes; any field is refused with 400
 * (listed like any validation problem) instead of being silently ignored.
 */
@Injectable()
export class NoBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
    const fields =
      typeof value === 'object' && !Array.isArray(value)
        ? Object.keys(value).map((field) => ({ field, reasons: [`property ${field} should not exist`] }))
        : [{ field: 'body', reasons: ['this operation takes no body'] }];
    throw new AppError('REQUEST.VALIDATION_FAILED', 'This operation takes no body', { fields });
  }
}
