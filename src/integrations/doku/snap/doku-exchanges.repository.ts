import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DokuExchangeRecord } from './entities/doku-exchange-record.entity';

export type NewDokuExchangeRecord = Omit<DokuExchangeRecord, 'id' | 'createdAt'>;

/**
 * The rows travel as one JSON array in one parameter. jsonb refuses U+0000 in strings, and a body
 * is whatever DOKU sent: the escape is removed from the JSON text (an even run of backslashes before
 * it is an escaped backslash followed by the letters, and stays).
 */
export function exchangeRowsJson(rows: NewDokuExchangeRecord[]): string {
  const json = JSON.stringify(
    rows.map((r) => ({
      endpoint: r.endpoint,
      method: r.method,
      path: r.path,
      external_id: r.externalId,
      partner_reference: r.partnerReference,
      attempt: r.attempt,
      http_status: r.httpStatus,
      response_code: r.responseCode,
      outcome: r.outcome,
      replayed: r.replayed,
      duration_ms: r.durationMs,
      request_body: r.requestBody ?? null,
      response_body: r.responseBody ?? null,
      started_at: r.startedAt,
    })),
  );
  // Searched for first: a plain search of the text costs far less than the pattern run over all of it.
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1') : json;
}

const EXCHANGE_OUTCOMES = new Set([
  'SUCCESS',
  'IN_PROGRESS',
  'REJECTED',
  'NOT_FOUND',
  'INVALID_B2B_TOKEN',
  'INVALID_CUSTOMER_TOKEN',
  'INVALID_SIGNATURE',
  'DUPLICATE_REFERENCE',
  'DUPLICATE_EXTERNAL_ID',
  'RATE_LIMITED',
  'UNKNOWN',
  'TIMEOUT',
  'TRANSPORT_ERROR',
]);
const SMALLINT_MAX = 32_767;

/**
 * Whether the table's checks accept the row. A row written inside a money commit must never be the
 * reason that commit fails: one that might is left to the batch, which skips a refused row alone.
 */
export function exchangeRowStorable(r: NewDokuExchangeRecord): boolean {
  const smallint = (n: number | null, min: number) => n === null || (Number.isInteger(n) && n >= min && n <= SMALLINT_MAX);
  return (
    r.method === 'POST' &&
    (r.externalId === null || /^[0-9]{1,32}$/.test(r.externalId)) &&
    smallint(r.attempt, 1) &&
    smallint(r.httpStatus, 0) &&
    Number.isFinite(r.durationMs) &&
    r.durationMs >= 0 &&
    EXCHANGE_OUTCOMES.has(r.outcome) &&
    !Number.isNaN(r.startedAt.getTime())
  );
}

const INSERT_EXCHANGES = `
  INSERT INTO doku_exchanges (endpoint, method, path, external_id, partner_reference, attempt, http_status, response_code,
                              outcome, replayed, duration_ms, request_body, response_body, started_at)
  SELECT endpoint, method, path, external_id, partner_reference, attempt, http_status, response_code,
         outcome, replayed, duration_ms, request_body, response_body, started_at
    FROM jsonb_to_recordset($1::jsonb) AS r(endpoint text, method text, path text, external_id text, partner_reference text,
         attempt smallint, http_status smallint, response_code text, outcome text, replayed boolean, duration_ms double precision,
         request_body jsonb, response_body jsonb, started_at timestamptz)`;

@Injectable()
export class DokuExchangesRepository {
  constructor(@InjectRepository(DokuExchangeRecord) private readonly exchanges: Repository<DokuExchangeRecord>) {}

  /** One multi-row INSERT, in one implicit transaction: all rows or none. */
  async insertMany(rows: NewDokuExchangeRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.exchanges.query(INSERT_EXCHANGES, [exchangeRowsJson(rows)]);
  }

  /** The CTE `x` inserting `rows` (each `exchangeRowStorable`), for a WITH list of another write. */
  static insertCte(params: unknown[], rows: NewDokuExchangeRecord[]): string {
    params.push(exchangeRowsJson(rows));
    return `x AS (${INSERT_EXCHANGES.replace('$1::jsonb', `$${params.length}::jsonb`)})`;
  }

  /** Every attempt made for one business reference, oldest first (support, reconciliation). */
  findByPartnerReference(partnerReference: string): Promise<DokuExchangeRecord[]> {
    return this.exchanges.find({ where: { partnerReference }, order: { startedAt: 'ASC', attempt: 'ASC' } });
  }
}
