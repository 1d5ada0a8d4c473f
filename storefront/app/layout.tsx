import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { SiteHeader } from './components/site-header';
import { storefrontConfig } from '../lib/config';
import './globals.css';

export function generateMetadata(): Metadata {
  return {
    metadataBase: new URL(storefrontConfig().publicUrl),
    title: { default: 'Tally', template: '%s · Tally' },
    description: 'Tally: an event-sourced shop.',
  };
}

export default function RootLayout({ children }: { readonly children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <SiteHeader />
        <main id="content" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <p>Tally · every change is an event.</p>
        </footer>
      </body>
    </html>
  );
}
