import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminTransactionResponseDto } from '../admin/dto/admin-transaction.response.dto';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { BackOfficeResolutionService } from './back-office-resolution.service';
import { ResolveTransactionRequestDto } from './dto/resolve-transaction.request.dto';

/** Back office: settle a transaction DOKU's answers could not settle. */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin/transactions/:id/resolution')
export class BackOfficeResolutionController {
  constructor(private readonly resolutions: BackOfficeResolutionService) {}

  @Post()
  @AllowUsers('admin', 'finance')
  @ApiOperation({
    summary: 'Settle an unresolved transaction as SUCCESS or FAILED, with a reason',
    description:
      'For transactions the reconciler could not settle from DOKU (flagged after its last scheduled check). FAILED releases what the transaction held (a refund\'s reserved amount, an inquiry); SUCCESS books it. Recorded in the event log with who and why. 409 when it is already settled.',
  })
  @ApiOkResponse({ type: AdminTransactionResponseDto })
  async resolve(@CurrentPrincipal() principal: UserPrincipal, @Param('id') id: string, @Body() body: ResolveTransactionRequestDto): Promise<AdminTransactionResponseDto> {
    return AdminTransactionResponseDto.from(await this.resolutions.resolve(principal, id, body));
  }
}
