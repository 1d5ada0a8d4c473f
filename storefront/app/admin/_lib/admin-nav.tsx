import { SectionNav } from '../../components/section-nav';

const LINKS = [
  { href: '/admin', label: 'Overview' },
  { href: '/admin/products', label: 'Products' },
  { href: '/admin/stock', label: 'Stock' },
  { href: '/admin/orders', label: 'Orders' },
] as const;

/** The admin area's navigation. */
export function AdminNav() {
  return <SectionNav label="Admin" className="admin-nav" links={LINKS} />;
}
