import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { getSession } from '../../lib/session';
import { AUDITOR_ROLE } from '../../lib/audit';
import { AuditNav } from './_lib/audit-nav';
import './audit.css';

export const metadata: Metadata = {
  title: { default: 'Audit', template: '%s · Audit · Tally' },
  robots: { index: false, follow: false },
};

/**
 * The audit area's frame: its navigation, for auditors only. Each page checks the role itself (a layout is
 * not rendered again on every navigation, so it cannot be the guard), and query-api checks it on every call.
 */
export default async function AuditLayout({ children }: { readonly children: ReactNode }) {
  const session = await getSession();
  return (
    <div className="audit">
      {session.kind === 'account' && session.role === AUDITOR_ROLE ? <AuditNav /> : null}
      {children}
    </div>
  );
}
