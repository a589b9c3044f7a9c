import { Controller, HttpCode, Inject, Post, RawBodyRequest, Req, Type } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { NoRateLimit, Public } from '../common/auth/auth.decorators';
import { CheckoutNotificationsService } from './checkout-notifications.service';

/**
 * DOKU's notification route for the e-Wallet checkout, at DOKU_CHECKOUT_NOTIFICATION_PATH (default
 * `/v1/callbacks/doku/checkout`). Built per path because the path is what DOKU signs. Public: the
 * merchant's signature over the exact body is the credential; not throttled, so DOKU's retries are
 * never refused while verification stays cheap.
 */
export function checkoutNotifyControllerFor(path: string): Type<unknown> {
  @ApiExcludeController()
  @Controller()
  class DokuCheckoutNotifyController {
    constructor(@Inject(CheckoutNotificationsService) private readonly notifications: CheckoutNotificationsService) {}

    @Post(path)
    @HttpCode(200)
    @Public()
    @NoRateLimit()
    notify(@Req() request: RawBodyRequest<FastifyRequest>): Promise<{ received: true }> {
      return this.notifications.receive({ headers: request.headers, rawBody: request.rawBody, path });
    }
  }
  return DokuCheckoutNotifyController;
}
