import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { callbackParams, RawCallbackQuery } from '../common/http/callback-query';
import { AppReturnLinks } from '../clients/app-return-links.service';
import { answerPage, PageReply } from '../common/pages/customer-page';
import { BINDING_PAGES, REGISTRATION_PAGES } from './callback-page';
import { WalletBindingService } from './wallet-binding.service';
import { WalletRegistrationService } from './wallet-registration.service';

/**
 * Where DOKU sends the user's browser back (docs/doku-integration.md#pin-pages). Public by nature:
 * the references in the query are checked against our own records, and the page never redirects
 * anywhere. Every answer is an HTML page in the customer's language (docs/customer-pages.md), the
 * same on reload.
 */
@ApiTags('doku-callbacks')
@ApiProduces('text/html')
@Controller('v1/callbacks/doku')
export class DokuCallbacksController {
  constructor(
    private readonly registration: WalletRegistrationService,
    private readonly binding: WalletBindingService,
    private readonly returnLinks: AppReturnLinks,
  ) {}

  @Get('registration')
  @Public()
  @ApiOperation({ summary: "DOKU's browser redirect after the create-PIN page; completes the registration (an HTML page)" })
  @ApiQuery({ name: 'accountId', example: '1140340010' })
  @ApiQuery({ name: 'partnerReferenceNo', example: 'REG-0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21' })
  @ApiQuery({ name: 'status', example: 'SUCCESS' })
  @ApiResponse({ status: 200, description: 'Created, or already created (a reload)' })
  @ApiResponse({ status: 404, description: 'Unknown or forged reference' })
  async registrationDone(
    @Query() query: RawCallbackQuery,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) reply: PageReply,
  ): Promise<string> {
    const { accountId, partnerReferenceNo, status } = callbackParams(query);
    const { outcome, registrationId } = await this.registration.complete({ accountId, partnerReferenceNo, status });
    const page = REGISTRATION_PAGES[outcome];
    const returnUrl = await this.returnLinks.linkFor(undefined, page.result, 'registration', registrationId ? { registrationId } : {});
    return answerPage(reply, { ...page, returnUrl }, acceptLanguage);
  }

  @Get('binding')
  @Public()
  @ApiOperation({ summary: "DOKU's browser redirect after the binding consent page; exchanges the authCode (an HTML page)" })
  @ApiQuery({
    name: 'ref',
    example: 'BIND-5d0e2b4a-1c3f-4e6a-8b9d-0f1e2d3c4b5a',
    description: 'Our binding reference, put in the redirectUrl we gave DOKU',
  })
  @ApiQuery({ name: 'authCode', required: false, example: 'cfb5de1a-6a40-40e0-8549-0634bcaed8ed' })
  @ApiQuery({
    name: 'status',
    required: false,
    example: 'CANCELLED',
    description: 'Sent by DOKU instead of authCode when the user declined',
  })
  @ApiResponse({ status: 200, description: 'Linked, already linked (a reload), or cancelled by the customer' })
  @ApiResponse({ status: 404, description: 'Unknown or forged reference' })
  async bindingDone(
    @Query() query: RawCallbackQuery,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) reply: PageReply,
  ): Promise<string> {
    const { ref, authCode, status } = callbackParams(query);
    const { outcome, bindingId } = await this.binding.complete({ ref, authCode, status });
    const page = BINDING_PAGES[outcome];
    const returnUrl = await this.returnLinks.linkFor(undefined, page.result, 'binding', bindingId ? { bindingId } : {});
    return answerPage(reply, { ...page, returnUrl }, acceptLanguage);
  }
}
