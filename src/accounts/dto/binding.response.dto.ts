import { ApiProperty } from '@nestjs/swagger';
import { BINDING_STATUSES, BindingStatus } from '../entities/wallet-binding.entity';

export class BindingResponseDto {
  @ApiProperty({ example: '5d0e2b4a-1c3f-4e6a-8b9d-0f1e2d3c4b5a' })
  bindingId: string;

  @ApiProperty({ example: 'PENDING', enum: BINDING_STATUSES })
  status: BindingStatus;

  @ApiProperty({
    example: 'https://sandbox.doku.com/binding/authorize?token=9f8e7d',
    description: "DOKU's consent page: open it in a web view; DOKU redirects to our binding callback",
  })
  nextAction: string;
}
