import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './analytics.css';

export const metadata: Metadata = {
  title: { default: 'Analytics', template: '%s · Analytics · Tally' },
  robots: { index: false, follow: false },
};

/** The analytics area's frame. The page checks the role itself, and query-api checks it on every call. */
export default function AnalyticsLayout({ children }: { readonly children: ReactNode }) {
  return <div className="analytics">{children}</div>;
}
