import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers } from '../common/auth/auth.decorators';
import { AuditTrail } from './audit-trail.service';
import { AuditEntryResponseDto, AuditPageResponseDto } from './dto/audit-entry.response.dto';
import { ListAuditQueryDto } from './dto/list-audit.query.dto';

/** The audit trail of back-office actions: admins read it. */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @AllowUsers('admin')
  @ApiOperation({
    summary: 'Every back-office action, newest first: who, what, before and after (secrets masked), when and from where',
  })
  @ApiOkResponse({ type: AuditPageResponseDto })
  async list(@Query() query: ListAuditQueryDto): Promise<AuditPageResponseDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { rows, total } = await this.audit.list(query, page, pageSize);
    return { items: rows.map((r) => AuditEntryResponseDto.from(r)), page, pageSize, total };
  }
}
