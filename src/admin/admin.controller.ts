import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { NoBodyPipe } from '../common/http/no-body.pipe';
import { AdminService } from './admin.service';
import { AdminTransactionPageResponseDto } from './dto/admin-transaction-page.response.dto';
import { AdminTransactionResponseDto } from './dto/admin-transaction.response.dto';
import { AdminUserPageResponseDto } from './dto/admin-user-page.response.dto';
import { AdminUserResponseDto } from './dto/admin-user.response.dto';
import { BackOfficeStatsQueryDto, BackOfficeStatsResponseDto } from './dto/back-office-stats.dto';
import { DokuExchangePageResponseDto } from './dto/doku-exchange-page.response.dto';
import { HandleDisagreementRequestDto } from './dto/handle-disagreement.request.dto';
import { ListAdminTransactionsQueryDto } from './dto/list-admin-transactions.query.dto';
import { ListDokuExchangesQueryDto } from './dto/list-doku-exchanges.query.dto';
import { SearchUsersQueryDto } from './dto/search-users.query.dto';
import { SignInLockReleaseResponseDto } from './dto/sign-in-lock-release.response.dto';

/** The back office's reads (admin, support and finance), and the few actions that move no money. */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('users')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'Find users by email or phone' })
  @ApiOkResponse({ type: AdminUserPageResponseDto })
  searchUsers(@Query() query: SearchUsersQueryDto): Promise<AdminUserPageResponseDto> {
    return this.admin.searchUsers(query);
  }

  @Get('users/:userId')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'A user and the state of their wallet' })
  @ApiOkResponse({ type: AdminUserResponseDto })
  getUser(@Param('userId') userId: string): Promise<AdminUserResponseDto> {
    return this.admin.getUser(userId);
  }

  @Delete('users/:userId/sign-in-lock')
  @HttpCode(200)
  @AllowUsers('admin', 'support')
  @ApiOperation({ summary: "Release a user's sign-in lock after repeated failed sign-ins (and forget the failures)" })
  @ApiOkResponse({ type: SignInLockReleaseResponseDto })
  releaseSignInLock(
    @Param('userId') userId: string,
    @Body(NoBodyPipe) _body: unknown,
    @Actor() actor: AuditActor,
  ): Promise<SignInLockReleaseResponseDto> {
    return this.admin.releaseSignInLock(userId, actor);
  }

  @Post('transactions/:id/doku-disagreement/handled')
  @HttpCode(200)
  @AllowUsers('finance')
  @ApiOperation({
    summary: "Finance: mark a settled purchase DOKU's answer contradicts as handled, with what was done",
    description:
      'The purchase keeps its status (the state machine never moves a settled purchase back); the note, who and when are kept with it and in the audit trail, and it leaves the open list (dokuDisagrees=open). 409 ADMIN.NO_OPEN_DISAGREEMENT when DOKU does not disagree with it or it is already handled.',
  })
  @ApiOkResponse({ type: AdminTransactionResponseDto })
  handleDisagreement(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('id') id: string,
    @Body() body: HandleDisagreementRequestDto,
  ): Promise<AdminTransactionResponseDto> {
    return this.admin.handleDisagreement(id, body.note, principal.userId, actor);
  }

  @Get('transactions')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'Money movements, newest first, by status, type and user' })
  @ApiOkResponse({ type: AdminTransactionPageResponseDto })
  listTransactions(@Query() query: ListAdminTransactionsQueryDto): Promise<AdminTransactionPageResponseDto> {
    return this.admin.listTransactions(query);
  }

  @Get('transactions/:id')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'One money movement with its event log' })
  @ApiOkResponse({ type: AdminTransactionResponseDto })
  getTransaction(@Param('id') id: string): Promise<AdminTransactionResponseDto> {
    return this.admin.getTransaction(id);
  }

  @Get('doku-exchanges')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'Every HTTP exchange with DOKU (bodies redacted), by partner reference and time' })
  @ApiOkResponse({ type: DokuExchangePageResponseDto })
  listExchanges(@Query() query: ListDokuExchangesQueryDto): Promise<DokuExchangePageResponseDto> {
    return this.admin.listExchanges(query);
  }

  @Get('stats')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({
    summary: "The console's charts: purchases per day and channel with their success rate, the refund rate, what waits for a person",
  })
  @ApiOkResponse({ type: BackOfficeStatsResponseDto })
  stats(@Query() query: BackOfficeStatsQueryDto): Promise<BackOfficeStatsResponseDto> {
    return this.admin.stats(query);
  }
}
