'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

/** One entry of a {@link SectionNav}. */
export interface SectionLink {
  readonly href: string;
  readonly label: string;
}

/**
 * The link a path belongs to: the one whose href is the path or its longest prefix, so that an area's first
 * link (e.g. `/audit`) also covers the pages below it that no other link claims (e.g. `/audit/streams/…`).
 */
function currentHref(pathname: string, links: readonly SectionLink[]): string | undefined {
  return links
    .filter((link) => pathname === link.href || pathname.startsWith(`${link.href}/`))
    .reduce<string | undefined>(
      (best, link) => (!best || link.href.length > best.length ? link.href : best),
      undefined,
    );
}

/** An area's navigation; the section being shown is marked (`aria-current`) for screen readers too. */
export function SectionNav({
  label,
  className,
  links,
}: {
  readonly label: string;
  readonly className: string;
  readonly links: readonly SectionLink[];
}) {
  const current = currentHref(usePathname(), links);
  return (
    <nav className={className} aria-label={label}>
      <ul>
        {links.map((link) => (
          <li key={link.href}>
            <Link href={link.href} aria-current={link.href === current ? 'page' : undefined}>
              {link.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
