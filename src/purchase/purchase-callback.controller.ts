import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { callbackParams, RawCallbackQuery } from '../common/http/callback-query';
import { answerPage, PageReply } from '../common/pages/customer-page';
import { PurchaseReturnStatusResponseDto } from './dto/purchase-return-status.response.dto';
import { PurchaseReturnService } from './purchase-return.service';

/**
 * Where DOKU's PIN page sends the browser (PAY_RETURN, docs/doku-integration.md#pin-pages). Public
 * because the browser carries no token of ours; it changes nothing on its own: the outcome comes from
 * Query Purchase.
 */
@ApiTags('callbacks')
@Controller()
export class PurchaseCallbackController {
  constructor(private readonly returns: PurchaseReturnService) {}

  @Get('v1/callbacks/doku/purchase')
  @Public()
  @ApiProduces('text/html')
  @ApiQuery({ name: 'ref', example: 'PUR-6f1d0c3a9e2b4c7d8a5f1e0b3c6d9a2f', description: 'Our partnerReferenceNo, put there by us' })
  @ApiOperation({ summary: "DOKU PIN page return (browser): an HTML page with the purchase's outcome in the customer's language" })
  async returned(
    @Query() query: RawCallbackQuery,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) reply: PageReply,
  ): Promise<string> {
    return answerPage(reply, await this.returns.page(callbackParams(query).ref), acceptLanguage);
  }

  @Get('v1/callbacks/doku/purchase/status')
  @Public()
  @ApiQuery({ name: 'ref', example: 'PUR-6f1d0c3a9e2b4c7d8a5f1e0b3c6d9a2f', description: 'The reference in the return page link' })
  @ApiOperation({
    summary:
      'What the "payment being confirmed" page polls: whether the outcome is known (our record; DOKU asked at most once per interval)',
  })
  @ApiResponse({ status: 200, type: PurchaseReturnStatusResponseDto })
  async returnStatus(@Query() query: RawCallbackQuery): Promise<PurchaseReturnStatusResponseDto> {
    return { final: await this.returns.isFinal(callbackParams(query).ref) };
  }
}
