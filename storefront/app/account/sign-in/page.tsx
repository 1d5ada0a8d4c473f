import type { Metadata } from 'next';
import { csrfToken } from '../../../lib/csrf';
import { SignInForm } from '../../components/account-forms';

export const metadata: Metadata = { title: 'Sign in', alternates: { canonical: '/account/sign-in' } };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function SignInPage({ searchParams }: Props) {
  const query = await searchParams;
  return (
    <>
      <h1>Sign in</h1>
      {query.reset === '1' ? (
        <p role="status" className="notice">
          Your password has been changed. Sign in with the new one.
        </p>
      ) : null}
      <SignInForm csrf={await csrfToken()} next={typeof query.next === 'string' ? query.next : ''} />
    </>
  );
}
