import Link from 'next/link';
import { loadCart } from '../../lib/cart';
import { getSession } from '../../lib/session';
import { SearchBox } from './search-box';

/**
 * The header of every page: home, search, cart with its item count, account, and the admin, audit or
 * analytics area for the accounts with that role.
 */
export async function SiteHeader() {
  const [session, cart] = await Promise.all([getSession(), loadCart()]);
  const items = cart?.lines.reduce((sum, line) => sum + line.quantity, 0) ?? 0;
  return (
    <header className="site-header">
      <Link className="brand" href="/">
        Tally
      </Link>
      <SearchBox />
      <nav className="site-nav" aria-label="Main">
        <ul>
          <li>
            <Link href="/cart">{`Cart (${items} ${items === 1 ? 'item' : 'items'})`}</Link>
          </li>
          <li>
            {session.kind === 'account' ? (
              <Link href="/account">Account</Link>
            ) : (
              <Link href="/account/sign-in">Sign in</Link>
            )}
          </li>
          {session.kind === 'account' && session.role === 'admin' ? (
            <li>
              <Link href="/admin">Admin</Link>
            </li>
          ) : null}
          {session.kind === 'account' && session.role === 'auditor' ? (
            <li>
              <Link href="/audit">Audit</Link>
            </li>
          ) : null}
          {session.kind === 'account' && session.role === 'analyst' ? (
            <li>
              <Link href="/analytics">Analytics</Link>
            </li>
          ) : null}
        </ul>
      </nav>
    </header>
  );
}
