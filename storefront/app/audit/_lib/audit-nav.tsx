import { SectionNav } from '../../components/section-nav';

const LINKS = [
  { href: '/audit', label: 'Events' },
  { href: '/audit/integrity', label: 'Integrity' },
] as const;

/** The audit area's navigation: a stream's or an order's history belongs to Events. */
export function AuditNav() {
  return <SectionNav label="Audit" className="audit-nav" links={LINKS} />;
}
