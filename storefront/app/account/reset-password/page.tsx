import type { Metadata } from 'next';
import { csrfToken } from '../../../lib/csrf';
import { ResetConfirmForm, ResetRequestForm } from '../../components/account-forms';

export const metadata: Metadata = { title: 'Reset password', robots: { index: false } };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Without `token`: ask for a reset link. With the token from the email: choose a new password. */
export default async function ResetPasswordPage({ searchParams }: Props) {
  const { token } = await searchParams;
  const csrf = await csrfToken();
  return (
    <>
      <h1>Reset password</h1>
      {typeof token === 'string' && token ? (
        <ResetConfirmForm csrf={csrf} token={token} />
      ) : (
        <>
          <p>Enter the email of your account and we will send you a link to choose a new password.</p>
          <ResetRequestForm csrf={csrf} />
        </>
      )}
    </>
  );
}
