import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import type { ApprovalKind, ApprovalStatus } from '../approvals.repository';
import { APPROVAL_KINDS, APPROVAL_STATUSES } from '../approvals.repository';

export class ListApprovalsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: APPROVAL_STATUSES, example: 'PENDING' })
  @IsOptional()
  @IsIn(APPROVAL_STATUSES)
  status?: ApprovalStatus;

  @ApiPropertyOptional({ enum: APPROVAL_KINDS, example: 'REFUND' })
  @IsOptional()
  @IsIn(APPROVAL_KINDS)
  kind?: ApprovalKind;
}
