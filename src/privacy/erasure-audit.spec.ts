import type { AuditActor } from '../audit/audit-chain';
import type { DataSubjectErasure } from './entities/data-subject-erasure.entity';
import { erasureAuditFacts } from './erasure-audit';

describe('the audit-trail entry of an erasure', () => {
  it('says who asked, about whom, when, on which ticket and what was done, and nothing personal', () => {
    const erasure: DataSubjectErasure = {
      id: 'e1',
      userId: 'u1',
      requestedByKind: 'admin',
      requestedBy: 'a1',
      ticket: 'SUP-7',
      status: 'COMPLETED',
      summary: { users: 1, doku_exchanges: 4 },
      requestedAt: new Date('2026-12-04T10:00:00Z'),
      completedAt: new Date('2026-12-04T10:05:00Z'),
    };
    const actor: AuditActor = { kind: 'user', id: 'a1', role: 'admin', ip: '10.0.0.9', userAgent: 'console', requestId: 'r1' };
    expect(erasureAuditFacts(erasure, actor)).toEqual({
      actor,
      action: 'privacy.erasure',
      target: { type: 'user', id: 'u1' },
      after: {
        erasureId: 'e1',
        requestedBy: 'admin',
        ticket: 'SUP-7',
        completedAt: '2026-12-04T10:05:00.000Z',
        summary: { users: 1, doku_exchanges: 4 },
      },
    });
  });
});
