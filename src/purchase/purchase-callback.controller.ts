import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { callbackParams, RawCallbackQuery } from '../common/http/callback-query';
import { PurchaseService } from './purchase.service';

/**
 * Where DOKU's PIN page sends the browser (PAY_RETURN, §3.2 C). Public because the browser carries
 * no token of ours; it changes nothing on its own: the outcome comes from Query Purchase.
 */
@ApiTags('callbacks')
@Controller()
export class PurchaseCallbackController {
  constructor(private readonly purchases: PurchaseService) {}

  @Get('v1/callbacks/doku/purchase')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/html')
  @ApiQuery({ name: 'ref', example: 'PUR-6f1d0c3a9e2b4c7d8a5f1e0b3c6d9a2f', description: 'Our partnerReferenceNo, put there by us' })
  @ApiOperation({ summary: "DOKU PIN page return (browser): shows the purchase's status as DOKU reports it" })
  returned(@Query() query: RawCallbackQuery): Promise<string> {
    return this.purchases.returnPage(callbackParams(query).ref);
  }
}
