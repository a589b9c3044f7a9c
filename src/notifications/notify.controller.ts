import { Controller, HttpCode, Inject, Post, RawBodyRequest, Req, Type, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { NoRateLimit, Public } from '../common/auth/auth.decorators';
import { NotificationsService, SnapAcknowledgement } from './notifications.service';
import { SnapExceptionFilter } from './snap-exception.filter';

/**
 * The notify route at the configured path (DOKU_NOTIFICATION_PATH, default `/v1.0/debit/notify`,
 * docs/doku-integration.md#notifications). Built per path because the path is configuration and also
 * what DOKU signs. Public: the token we issued and DOKU's signature are checked by the service; not
 * throttled, because DOKU's retries must not be refused while verification stays cheap.
 */
export function notifyControllerFor(path: string): Type<unknown> {
  @ApiExcludeController()
  @Controller()
  @UseFilters(new SnapExceptionFilter('56'))
  class DokuNotifyController {
    constructor(@Inject(NotificationsService) private readonly notifications: NotificationsService) {}

    @Post(path)
    @HttpCode(200)
    @Public()
    @NoRateLimit()
    notify(@Req() request: RawBodyRequest<FastifyRequest>): Promise<SnapAcknowledgement> {
      return this.notifications.receive({ headers: request.headers, rawBody: request.rawBody });
    }
  }
  return DokuNotifyController;
}
