import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { AdminNav } from './_lib/admin-nav';
import './admin.css';

export const metadata: Metadata = {
  title: { default: 'Admin', template: '%s · Admin · Tally' },
  robots: { index: false, follow: false },
};

/**
 * The admin area's frame: its own navigation. Each page checks the admin role itself (a layout is not
 * rendered again on every navigation, so it cannot be the guard), and the APIs check it on every call.
 */
export default function AdminLayout({ children }: { readonly children: ReactNode }) {
  return (
    <div className="admin">
      <AdminNav />
      {children}
    </div>
  );
}
