import type { Metadata } from 'next';
import { csrfToken } from '../../../lib/csrf';
import { SignUpForm } from '../../components/account-forms';

export const metadata: Metadata = { title: 'Create account', alternates: { canonical: '/account/sign-up' } };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function SignUpPage({ searchParams }: Props) {
  const next = (await searchParams).next;
  return (
    <>
      <h1>Create account</h1>
      <p>Anything in your cart comes with you.</p>
      <SignUpForm csrf={await csrfToken()} next={typeof next === 'string' ? next : ''} />
    </>
  );
}
