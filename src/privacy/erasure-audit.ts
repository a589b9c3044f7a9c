import type { AuditActor, AuditFacts } from '../audit/audit-chain';
import type { DataSubjectErasure } from './entities/data-subject-erasure.entity';

/**
 * What the back office's hash-chained audit trail says about a completed erasure: who asked (the
 * user or an admin, with where from), about whom, and what was done (row counts per table, the
 * ticket). Ids and counts only: an audit row is never erased, so it holds no personal data.
 * Recorded inside the erasure's own transaction: it commits with the erasure or not at all.
 */
export function erasureAuditFacts(erasure: DataSubjectErasure, actor: AuditActor): AuditFacts {
  return {
    actor,
    action: 'privacy.erasure',
    target: { type: 'user', id: erasure.userId },
    after: {
      erasureId: erasure.id,
      requestedBy: erasure.requestedByKind,
      ticket: erasure.ticket,
      completedAt: (erasure.completedAt ?? erasure.requestedAt).toISOString(),
      summary: erasure.summary,
    },
  };
}
