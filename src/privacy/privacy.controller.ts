import { Actor } from '../audit/audit-actor.decorator';
import type { AuditActor } from '../audit/audit-chain';
import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal, SensitiveRateLimit } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { idParam } from '../common/http/id-params';
import { DataExportService } from './data-export.service';
import { DataExportResponseDto } from './dto/data-export.response.dto';
import { AdminErasureRequestDto, ErasureRequestDto } from './dto/erasure.request.dto';
import { ErasureResponseDto } from './dto/erasure.response.dto';
import { ErasureService } from './erasure.service';

/** The part of Fastify's reply these routes use. */
interface StatusReply {
  status(code: number): unknown;
}

/** Data-subject rights (docs/privacy.md): the user's export and erasure, and erasure by the back office. */
@ApiTags('privacy')
@ApiBearerAuth()
@Controller('v1')
export class PrivacyController {
  constructor(
    private readonly exports: DataExportService,
    private readonly erasures: ErasureService,
  ) {}

  @Get('me/export')
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Everything we hold about me, as JSON (rate-limited)' })
  @ApiResponse({ status: 200, type: DataExportResponseDto })
  async export(@CurrentPrincipal() principal: UserPrincipal): Promise<DataExportResponseDto> {
    return (await this.exports.export(principal.userId)) as unknown as DataExportResponseDto;
  }

  @Post('me/erasure')
  @HttpCode(200)
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({
    summary:
      'Erase my personal data and close my account; money records are kept. Refused (409 PRIVACY.MONEY_UNRESOLVED) while money is unsettled',
  })
  @ApiResponse({ status: 200, type: ErasureResponseDto, description: 'ERASED' })
  @ApiResponse({ status: 202, type: ErasureResponseDto, description: 'AWAITING_UNBINDING_OTP: call again with the OTP DOKU sent' })
  async eraseMe(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Body() body: ErasureRequestDto,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<ErasureResponseDto> {
    // The customer's own address and browser are personal data, and an audit row is never erased:
    // the trail keeps who (the user's id) and the request, not where from.
    const self: AuditActor = { ...actor, ip: null, userAgent: null };
    const outcome = await this.erasures.erase(
      principal.userId,
      { kind: 'user', id: principal.userId, ticket: null, actor: self },
      body.otp,
    );
    if (outcome.status !== 'ERASED') reply.status(202);
    return ErasureResponseDto.from(outcome);
  }

  @Post('admin/users/:userId/erasure')
  @HttpCode(200)
  @AllowUsers('admin')
  @ApiOperation({ summary: "Admin, on a support ticket: erase a user's personal data; money records are kept" })
  @ApiResponse({ status: 200, type: ErasureResponseDto, description: 'ERASED' })
  @ApiResponse({ status: 202, type: ErasureResponseDto, description: 'AWAITING_UNBINDING_OTP: call again with the OTP the user received' })
  async eraseUser(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('userId', idParam('USER.NOT_FOUND', 'User not found')) userId: string,
    @Body() body: AdminErasureRequestDto,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<ErasureResponseDto> {
    const outcome = await this.erasures.erase(userId, { kind: 'admin', id: principal.userId, ticket: body.ticket, actor }, body.otp);
    if (outcome.status !== 'ERASED') reply.status(202);
    return ErasureResponseDto.from(outcome);
  }
}
