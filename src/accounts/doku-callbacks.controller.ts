import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { WalletBindingService } from './wallet-binding.service';
import { WalletRegistrationService } from './wallet-registration.service';
import { callbackPage } from './callback-page';

import { callbackParams, RawCallbackQuery } from '../common/http/callback-query';

/**
 * Where DOKU sends the user's browser back (§3.2 A.5 and A.7). Public by nature: the references
 * in the query are checked against our own records, and the page never redirects anywhere.
 * Errors answer with the usual JSON error body.
 */
@ApiTags('doku-callbacks')
@ApiProduces('text/html')
@Controller('v1/callbacks/doku')
export class DokuCallbacksController {
  constructor(
    private readonly registration: WalletRegistrationService,
    private readonly binding: WalletBindingService,
  ) {}

  @Get('registration')
  @Public()
  @ApiOperation({ summary: "DOKU's browser redirect after the create-PIN page (§3.2 A.5); completes the registration" })
  @ApiQuery({ name: 'accountId', example: '1140340010' })
  @ApiQuery({ name: 'partnerReferenceNo', example: 'REG-0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21' })
  @ApiQuery({ name: 'status', example: 'SUCCESS' })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async registrationDone(@Query() query: RawCallbackQuery): Promise<string> {
    const { accountId, partnerReferenceNo, status } = callbackParams(query);
    await this.registration.complete({ accountId, partnerReferenceNo, status });
    return callbackPage('DOKU Wallet created', 'Your DOKU Wallet is ready. Return to the app to link it.');
  }

  @Get('binding')
  @Public()
  @ApiOperation({ summary: "DOKU's browser redirect after the binding consent page (§3.2 A.7); exchanges the authCode" })
  @ApiQuery({ name: 'ref', example: 'BIND-5d0e2b4a-1c3f-4e6a-8b9d-0f1e2d3c4b5a', description: 'Our binding reference, put in the redirectUrl we gave DOKU' })
  @ApiQuery({ name: 'authCode', required: false, example: 'cfb5de1a-6a40-40e0-8549-0634bcaed8ed' })
  @ApiQuery({ name: 'status', required: false, example: 'CANCELLED', description: 'Sent by DOKU instead of authCode when the user declined' })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async bindingDone(@Query() query: RawCallbackQuery): Promise<string> {
    const { ref, authCode, status } = callbackParams(query);
    await this.binding.complete({ ref, authCode, status });
    return callbackPage('DOKU Wallet linked', 'Your DOKU Wallet is linked. Return to the app.');
  }
}
