import { ApiProperty } from '@nestjs/swagger';
import type { PublicJwk } from '../access-token-keys.service';

class PublicJwkDto implements PublicJwk {
  @ApiProperty({
    example: 'Mym2u4-C_ROddBWcOwoa3faOl0jAGRl5RPkccs06HgE',
    description: "The key's RFC 7638 thumbprint; a token's header names it",
  })
  kid: string;

  @ApiProperty({ enum: ['EC'], example: 'EC' })
  kty: 'EC';

  @ApiProperty({ enum: ['P-256'], example: 'P-256' })
  crv: 'P-256';

  @ApiProperty({ enum: ['ES256'], example: 'ES256' })
  alg: 'ES256';

  @ApiProperty({ enum: ['sig'], example: 'sig' })
  use: 'sig';

  @ApiProperty({ example: 'LaPwy0qJICcywwxMglOvA81_c31JsIkTZRZcdIDM7qY' })
  x: string;

  @ApiProperty({ example: 'xRMg_YFL0IRfLUbjUK_Dvu0V-E2_QC57lgNC4jpPjzc' })
  y: string;
}

export class JwksResponseDto {
  @ApiProperty({ type: () => [PublicJwkDto], description: 'The key that signs new tokens first, then the keys that only verify' })
  keys: PublicJwk[];
}
