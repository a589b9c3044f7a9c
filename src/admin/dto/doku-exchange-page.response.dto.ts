import { ApiProperty } from '@nestjs/swagger';
import { DokuExchangeResponseDto } from './doku-exchange.response.dto';

export class DokuExchangePageResponseDto {
  @ApiProperty({ type: [DokuExchangeResponseDto] })
  items: DokuExchangeResponseDto[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 50 })
  pageSize: number;

  @ApiProperty({ example: 3 })
  total: number;
}
