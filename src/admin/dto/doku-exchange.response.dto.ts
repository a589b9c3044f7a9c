import { ApiProperty } from '@nestjs/swagger';
import { DokuExchangeRecord } from '../../integrations/doku/snap/entities/doku-exchange-record.entity';

/** One HTTP attempt to DOKU; bodies were redacted before they were stored. */
export class DokuExchangeResponseDto {
  @ApiProperty({ example: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f' })
  id: string;

  @ApiProperty({ example: 'transferBankPayment' })
  endpoint: string;

  @ApiProperty({ example: '/snap-adapter/b2b2c/v1.0/emoney/transfer-bank' })
  path: string;

  @ApiProperty({ example: '20261123101530123456789', nullable: true, type: String })
  externalId: string | null;

  @ApiProperty({ example: 'BTR-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c', nullable: true, type: String })
  partnerReference: string | null;

  @ApiProperty({ example: 1 })
  attempt: number;

  @ApiProperty({ example: 200, nullable: true, type: Number })
  httpStatus: number | null;

  @ApiProperty({ example: '2004300', nullable: true, type: String })
  responseCode: string | null;

  @ApiProperty({ example: 'SUCCESS' })
  outcome: string;

  @ApiProperty({ example: false })
  replayed: boolean;

  @ApiProperty({ example: 42.5 })
  durationMs: number;

  @ApiProperty({ example: { partnerReferenceNo: 'BTR-…', beneficiaryAccountNumber: '******8292' }, nullable: true })
  requestBody: unknown;

  @ApiProperty({ example: { responseCode: '2004300', referenceNo: 'DK-TRF-0001' }, nullable: true })
  responseBody: unknown;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  startedAt: string;

  static from(r: DokuExchangeRecord): DokuExchangeResponseDto {
    return {
      id: r.id,
      endpoint: r.endpoint,
      path: r.path,
      externalId: r.externalId,
      partnerReference: r.partnerReference,
      attempt: r.attempt,
      httpStatus: r.httpStatus,
      responseCode: r.responseCode,
      outcome: r.outcome,
      replayed: r.replayed,
      durationMs: r.durationMs,
      requestBody: r.requestBody,
      responseBody: r.responseBody,
      startedAt: r.startedAt.toISOString(),
    };
  }
}
