import { ApiProperty } from '@nestjs/swagger';
import { EventResponseDto } from './event.response.dto';

export class EventPageResponseDto {
  @ApiProperty({ type: [EventResponseDto], description: 'Oldest first' })
  events: EventResponseDto[];

  @ApiProperty({ example: '1042', description: 'Pass as `after` for the next page; unchanged when there is nothing new' })
  nextCursor: string;
}
