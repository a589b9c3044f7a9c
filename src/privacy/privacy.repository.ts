import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DataSubjectErasure, ErasureRequesterKind } from './entities/data-subject-erasure.entity';

type Row = Record<string, unknown>;

/** The retention job's lock: one instance deletes at a time (taken per batch transaction). */
const RETENTION_LOCK = `hashtextextended('privacy.retention', 0)`;

/** snake_case column names to the camelCase of our JSON. */
function camel(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

/** A money movement that is not settled yet, or waits for a person in the back office. */
export interface UnresolvedMoney {
  id: string;
  type: string;
  status: string;
  attentionRequired: boolean;
}

/**
 * The SQL of data-subject rights (docs/privacy.md): reading everything held about one user, and
 * removing their personal data from every table while the money records stay.
 */
@Injectable()
export class PrivacyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A transaction; an export reads in one snapshot (REPEATABLE READ). */
  transaction<T>(work: (tx: EntityManager) => Promise<T>, isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED'): Promise<T> {
    return this.db.transaction(isolation, work);
  }

  private async rows(tx: EntityManager, sql: string, params: unknown[]): Promise<Row[]> {
    return (await tx.query<Row[]>(sql, params)).map(camel);
  }

  // ---- export -------------------------------------------------------------------------------

  user(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(tx, `SELECT id, name, email, phone, role, active, created_at, updated_at FROM users WHERE id = $1`, [userId]);
  }

  wallet(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, status, doku_account_id, phone, link_id, public_user_id, bound_at, created_at, updated_at FROM wallets WHERE user_id = $1`,
      [userId],
    );
  }

  registrations(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, partner_reference_no, doku_reference_no, name, email, phone, status, otp_failed_attempts, otp_resends,
              last_otp_sent_at, doku_account_id, failure_code, created_at, updated_at
         FROM wallet_registrations WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
  }

  bindings(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, partner_reference_no, doku_reference_no, doku_account_id, status, unbind_partner_reference_no,
              unbind_doku_reference_no, bound_at, unbound_at, failure_reason, created_at, updated_at
         FROM wallet_bindings WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
  }

  transactions(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, type, status, amount, refunded_amount, refund_reserved_amount, currency, partner_reference_no,
              doku_reference_no, doku_external_id, parent_id, merchant_order_ref, description, details, payment_method,
              initiator_kind, initiator_id, failure_code, doku_response_code, attention_required_at, finalized_at,
              created_at, updated_at
         FROM transactions WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
  }

  transactionEvents(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT e.id, e.transaction_id, e.from_status, e.to_status, e.cause, e.details, e.created_at
         FROM transaction_events e JOIN transactions t ON t.id = e.transaction_id
        WHERE t.user_id = $1 ORDER BY e.created_at, e.id`,
      [userId],
    );
  }

  /** Bank-transfer inquiries without the sealed account number (kept encrypted; its masked form is shown). */
  bankTransferInquiries(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, bank_code, bank_name, account_number_masked, beneficiary_name, account_type, amount, partner_reference_no,
              doku_reference_no, expires_at, transaction_id, created_at
         FROM bank_transfer_inquiries WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
  }

  topUpInquiries(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, initiator_kind, initiator_id, amount, fee_amount, customer_name, customer_number_masked, partner_reference_no,
              doku_reference_no, expires_at, transaction_id, created_at
         FROM top_up_inquiries WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
  }

  /** Sign-in sessions: when they started and ended; never their tokens. */
  sessions(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(tx, `SELECT id, created_at, revoked_at, revoked_reason FROM auth_sessions WHERE user_id = $1 ORDER BY created_at`, [
      userId,
    ]);
  }

  otpSends(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(tx, `SELECT id, purpose, phone, sent_at FROM otp_sends WHERE user_id = $1 ORDER BY sent_at`, [userId]);
  }

  erasures(tx: EntityManager, userId: string): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, requested_by_kind, ticket, status, summary, requested_at, completed_at
         FROM data_subject_erasures WHERE user_id = $1 ORDER BY requested_at`,
      [userId],
    );
  }

  /** Every business reference we sent DOKU for this user: money, registrations, bindings, unbindings, inquiries. */
  async partnerReferences(tx: EntityManager, userId: string): Promise<string[]> {
    const rows = await tx.query<{ ref: string }[]>(
      `SELECT partner_reference_no AS ref FROM transactions WHERE user_id = $1
       UNION SELECT partner_reference_no FROM wallet_registrations WHERE user_id = $1
       UNION SELECT partner_reference_no FROM wallet_bindings WHERE user_id = $1
       UNION SELECT unbind_partner_reference_no FROM wallet_bindings WHERE user_id = $1 AND unbind_partner_reference_no IS NOT NULL
       UNION SELECT partner_reference_no FROM bank_transfer_inquiries WHERE user_id = $1
       UNION SELECT partner_reference_no FROM top_up_inquiries WHERE user_id = $1`,
      [userId],
    );
    return rows.map((r) => r.ref);
  }

  /** The exchanges with DOKU about these references, as stored (secrets were redacted before storing). */
  exchangesOf(tx: EntityManager, refs: string[]): Promise<Row[]> {
    return this.rows(
      tx,
      `SELECT id, endpoint, path, external_id, partner_reference, attempt, http_status, response_code, outcome, replayed,
              request_body, response_body, started_at
         FROM doku_exchanges WHERE partner_reference = ANY($1::text[]) ORDER BY started_at, id`,
      [refs],
    );
  }

  // ---- retention ----------------------------------------------------------------------------

  /**
   * One batch of expired DOKU exchange records, oldest first, except those of money still
   * unresolved; null when another instance is running the job (its advisory lock is taken).
   */
  deleteExpiredExchanges(cutoff: Date, batch: number): Promise<number | null> {
    return this.deleteBatchUnderLock(
      `DELETE FROM doku_exchanges WHERE id IN (
         SELECT x.id FROM doku_exchanges x
          WHERE x.started_at < $1
            AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.partner_reference_no = x.partner_reference
                             AND (t.status IN ('PENDING','UNKNOWN') OR t.attention_required_at IS NOT NULL))
          ORDER BY x.started_at LIMIT $2)`,
      cutoff,
      batch,
    );
  }

  /** One batch of processed DOKU notifications received before `cutoff`, except those of unresolved money. */
  deleteExpiredNotifications(cutoff: Date, batch: number): Promise<number | null> {
    return this.deleteBatchUnderLock(
      `DELETE FROM doku_notifications WHERE id IN (
         SELECT n.id FROM doku_notifications n
          WHERE n.processed_at IS NOT NULL AND n.received_at < $1
            AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.partner_reference_no = n.partner_reference_no
                             AND (t.status IN ('PENDING','UNKNOWN') OR t.attention_required_at IS NOT NULL))
          ORDER BY n.received_at LIMIT $2)`,
      cutoff,
      batch,
    );
  }

  /** Each batch is a short transaction holding the job's advisory lock: one instance deletes at a time. */
  private deleteBatchUnderLock(sql: string, cutoff: Date, batch: number): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS ok`);
      if (!lock?.ok) return null;
      return (await tx.query<[unknown, number]>(sql, [cutoff, batch]))[1];
    });
  }

  // ---- erasure ------------------------------------------------------------------------------

  /** The user row, locked: new money of this user waits (its foreign key) until the erasure commits. */
  async lockUser(tx: EntityManager, userId: string): Promise<{ id: string; name: string; email: string; phone: string } | null> {
    const rows = await tx.query<
      {
        id: string;
        name: string;
        email: string;
        phone: string;
      }[]
    >(`SELECT id, name, email, phone FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    return rows[0] ?? null;
  }

  async unresolvedMoney(tx: EntityManager, userId: string): Promise<UnresolvedMoney[]> {
    const rows = await tx.query<{ id: string; type: string; status: string; attention_required: boolean }[]>(
      `SELECT id, type, status, attention_required_at IS NOT NULL AS attention_required FROM transactions
        WHERE user_id = $1 AND (status IN ('PENDING','UNKNOWN') OR attention_required_at IS NOT NULL OR refund_reserved_amount > 0)
        ORDER BY created_at LIMIT 50`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, type: r.type, status: r.status, attentionRequired: r.attention_required }));
  }

  /** Idempotency keys of this user's requests still running: money whose outcome we do not know yet. */
  async keysInFlight(tx: EntityManager, userId: string): Promise<number> {
    const rows = await tx.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM idempotency_keys k
        WHERE k.status = 'IN_PROGRESS'
          AND (k.scope = 'user:' || $1::text OR k.transaction_id IN (SELECT id FROM transactions WHERE user_id = $1::uuid))`,
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  async liveBindingStatus(tx: EntityManager, userId: string): Promise<string | null> {
    const rows = await tx.query<
      {
        status: string;
      }[]
    >(`SELECT status FROM wallet_bindings WHERE user_id = $1 AND status IN ('ACTIVE','UNBINDING')`, [userId]);
    return rows[0]?.status ?? null;
  }

  /**
   * Every value of this person we stored in our own tables, to search other records for: their
   * names, emails and phone numbers (the name DOKU holds for their wallet included). Not the holder
   * of a bank account they sent money to: that may be someone else, whose name in another user's
   * records is not this person's data (it is still erased from this person's own records).
   */
  async personalValues(tx: EntityManager, userId: string): Promise<string[]> {
    const rows = await tx.query<{ v: string | null }[]>(
      `SELECT name AS v FROM users WHERE id = $1 UNION SELECT email FROM users WHERE id = $1 UNION SELECT phone FROM users WHERE id = $1
       UNION SELECT name FROM wallet_registrations WHERE user_id = $1 UNION SELECT email FROM wallet_registrations WHERE user_id = $1
       UNION SELECT phone FROM wallet_registrations WHERE user_id = $1
       UNION SELECT phone FROM wallets WHERE user_id = $1 AND phone IS NOT NULL
       UNION SELECT phone FROM otp_sends WHERE user_id = $1 AND phone IS NOT NULL
       UNION SELECT customer_name FROM top_up_inquiries WHERE user_id = $1`,
      [userId],
    );
    return rows.map((r) => r.v).filter((v): v is string => typeof v === 'string');
  }

  /**
   * The identity itself: name, email and phone replaced by values derived from nothing personal
   * (the id, which the money records already carry), the password replaced by the hash of a secret
   * nobody knows, the account closed, every session ended and its refresh tokens and DOKU tokens
   * deleted, failed sign-ins forgotten.
   */
  async eraseIdentity(tx: EntityManager, userId: string, email: string, unusablePasswordHash: string): Promise<Record<string, number>> {
    const count = async (sql: string, params: unknown[]) => (await tx.query<[unknown, number]>(sql, params))[1];
    return {
      users: await count(
        `UPDATE users SET name = '[erased]', email = 'erased-' || id::text || '@erased.invalid', phone = 'erased-' || id::text,
                password_hash = $2, active = false, updated_at = now() WHERE id = $1`,
        [userId, unusablePasswordHash],
      ),
      refresh_tokens: await count(`DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM auth_sessions WHERE user_id = $1)`, [
        userId,
      ]),
      auth_sessions: await count(
        `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'erased' WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId],
      ),
      doku_customer_tokens: await count(`DELETE FROM doku_customer_tokens WHERE user_id = $1`, [userId]),
      login_attempts: await count(`DELETE FROM login_attempts WHERE account_key = $1`, [email.trim().toLowerCase()]),
    };
  }

  /** Personal columns of the wallet, its onboarding and the inquiries: emptied. References, amounts and states stay. */
  async eraseWalletAndInquiries(tx: EntityManager, userId: string): Promise<Record<string, number>> {
    const count = async (sql: string) => (await tx.query<[unknown, number]>(sql, [userId]))[1];
    return {
      wallets: await count(`UPDATE wallets SET phone = NULL, public_user_id = NULL, link_id = NULL, updated_at = now() WHERE user_id = $1`),
      wallet_registrations: await count(
        `UPDATE wallet_registrations SET name = '[erased]', email = '[erased]', phone = '[erased]', updated_at = now() WHERE user_id = $1`,
      ),
      wallet_bindings: await count(
        `UPDATE wallet_bindings SET link_id = NULL, updated_at = now() WHERE user_id = $1 AND link_id IS NOT NULL`,
      ),
      otp_sends: await count(`UPDATE otp_sends SET phone = NULL WHERE user_id = $1 AND phone IS NOT NULL`),
      bank_transfer_inquiries: await count(
        `UPDATE bank_transfer_inquiries SET beneficiary_name = '[erased]', account_number_sealed = '[erased]' WHERE user_id = $1`,
      ),
      top_up_inquiries: await count(
        `UPDATE top_up_inquiries SET customer_name = '[erased]', customer_number_masked = '[erased]' WHERE user_id = $1`,
      ),
      // Free text the user (or a service for them) typed: removed. Amounts, references, dates and statuses stay.
      transactions_description: await count(`UPDATE transactions SET description = NULL WHERE user_id = $1 AND description IS NOT NULL`),
    };
  }

  /** JSON documents of this user's money records and stored answers, for the caller to clean. */
  async userJsonDocuments(tx: EntityManager, userId: string): Promise<{ table: JsonTable; id: string; doc: unknown }[]> {
    const found: { table: JsonTable; id: string; doc: unknown }[] = [];
    const take = async (table: JsonTable, sql: string) => {
      for (const r of await tx.query<{ id: string; doc: unknown }[]>(sql, [userId])) found.push({ table, id: r.id, doc: r.doc });
    };
    await take('transactions', `SELECT id, details AS doc FROM transactions WHERE user_id = $1`);
    await take(
      'transaction_events',
      `SELECT e.id, e.details AS doc FROM transaction_events e JOIN transactions t ON t.id = e.transaction_id WHERE t.user_id = $1`,
    );
    await take(
      'idempotency_keys',
      `SELECT id, response_body AS doc FROM idempotency_keys
        WHERE response_body IS NOT NULL
          AND (scope = 'user:' || $1::text OR transaction_id IN (SELECT id FROM transactions WHERE user_id = $1::uuid))`,
    );
    return found;
  }

  async replaceJson(tx: EntityManager, table: JsonTable, id: string, doc: unknown): Promise<void> {
    const column = JSON_COLUMN[table];
    await tx.query(`UPDATE ${table} SET ${column} = $2::jsonb WHERE id = $1`, [id, JSON.stringify(doc)]);
  }

  /**
   * DOKU exchange records about this user: those of their references, and any other whose bodies
   * contain one of their values (`values`, already long enough to be specific).
   */
  async exchangesToClean(
    tx: EntityManager,
    refs: string[],
    values: string[],
  ): Promise<{ id: string; request: unknown; response: unknown }[]> {
    const patterns = values.map((v) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    return await tx.query<{ id: string; request: unknown; response: unknown }[]>(
      `SELECT id, request_body AS request, response_body AS response FROM doku_exchanges
        WHERE partner_reference = ANY($1::text[])
           OR request_body::text ILIKE ANY($2::text[]) OR response_body::text ILIKE ANY($2::text[])
        FOR UPDATE`,
      [refs, patterns],
    );
  }

  async replaceExchangeBodies(tx: EntityManager, id: string, request: unknown, response: unknown): Promise<void> {
    await tx.query(`UPDATE doku_exchanges SET request_body = $2::jsonb, response_body = $3::jsonb WHERE id = $1`, [
      id,
      request === null ? null : JSON.stringify(request),
      response === null ? null : JSON.stringify(response),
    ]);
  }

  /** DOKU's notifications about this user's money (the raw bodies and headers as received). */
  async notificationsToClean(tx: EntityManager, refs: string[]): Promise<{ id: string; rawBody: string; headers: unknown }[]> {
    return await tx.query<{ id: string; rawBody: string; headers: unknown }[]>(
      `SELECT id, raw_body AS "rawBody", headers FROM doku_notifications WHERE partner_reference_no = ANY($1::text[]) FOR UPDATE`,
      [refs],
    );
  }

  async replaceNotification(tx: EntityManager, id: string, rawBody: string, headers: unknown): Promise<void> {
    await tx.query(`UPDATE doku_notifications SET raw_body = $2, headers = $3::jsonb WHERE id = $1`, [
      id,
      rawBody,
      JSON.stringify(headers),
    ]);
  }

  async erasureAwaitingOtp(tx: EntityManager, userId: string): Promise<DataSubjectErasure | null> {
    return tx
      .getRepository(DataSubjectErasure)
      .findOne({ where: { userId, status: 'AWAITING_UNBINDING_OTP' }, order: { requestedAt: 'DESC' } });
  }

  async completedErasure(tx: EntityManager, userId: string): Promise<DataSubjectErasure | null> {
    return tx.getRepository(DataSubjectErasure).findOne({ where: { userId, status: 'COMPLETED' } });
  }

  async recordRequest(
    tx: EntityManager,
    input: { userId: string; requestedByKind: ErasureRequesterKind; requestedBy: string; ticket: string | null },
  ): Promise<DataSubjectErasure> {
    return tx
      .getRepository(DataSubjectErasure)
      .save(tx.getRepository(DataSubjectErasure).create({ ...input, status: 'AWAITING_UNBINDING_OTP', summary: {} }));
  }

  async recordCompletion(
    tx: EntityManager,
    input: {
      userId: string;
      requestedByKind: ErasureRequesterKind;
      requestedBy: string;
      ticket: string | null;
      summary: Record<string, number>;
    },
  ): Promise<DataSubjectErasure> {
    const repo = tx.getRepository(DataSubjectErasure);
    const waiting = await this.erasureAwaitingOtp(tx, input.userId);
    const now = new Date();
    if (waiting) {
      await repo.update(waiting.id, { ...input, status: 'COMPLETED', completedAt: now });
      return { ...waiting, ...input, status: 'COMPLETED', completedAt: now };
    }
    return repo.save(repo.create({ ...input, status: 'COMPLETED', completedAt: now }));
  }
}

export type JsonTable = 'transactions' | 'transaction_events' | 'idempotency_keys';
const JSON_COLUMN: Record<JsonTable, string> = {
  transactions: 'details',
  transaction_events: 'details',
  idempotency_keys: 'response_body',
};
