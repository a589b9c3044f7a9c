import { ApiProperty } from '@nestjs/swagger';

/** What the "payment being confirmed" page polls: only whether the outcome is known yet. */
export class PurchaseReturnStatusResponseDto {
  @ApiProperty({ example: false, description: 'True once the purchase has its outcome: the page then reloads to show it' })
  final: boolean;
}
