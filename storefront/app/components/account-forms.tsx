'use client';

import Link from 'next/link';
import { useActionState } from 'react';
import { confirmPasswordReset, requestPasswordReset, signIn, signUp } from '../actions/account';
import { IDLE, type FormState } from '../../lib/form-state';
import { TextField } from './text-field';

function Summary({ state }: { readonly state: FormState }) {
  if (state.status === 'error' && state.message)
    return (
      <p role="alert" className="alert">
        {state.message}
      </p>
    );
  if (state.status === 'ok' && state.message)
    return (
      <p role="status" className="notice">
        {state.message}
      </p>
    );
  return null;
}

export function SignUpForm({ csrf, next }: { readonly csrf: string; readonly next: string }) {
  const [state, action, pending] = useActionState(signUp, IDLE);
  const errors = state.fieldErrors ?? {};
  return (
    <form action={action} className="stack" noValidate>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="next" value={next} />
      <Summary state={state} />
      <TextField
        name="name"
        label="Name"
        autoComplete="name"
        error={errors.name}
        defaultValue={state.values?.name}
      />
      <TextField
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        error={errors.email}
        defaultValue={state.values?.email}
      />
      <TextField
        name="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters; a passphrase of a few words works well."
        error={errors.password}
      />
      <div>
        <button type="submit" disabled={pending}>
          Create account
        </button>
      </div>
      <p>
        Already have an account? <Link href="/account/sign-in">Sign in</Link>
      </p>
    </form>
  );
}

export function SignInForm({ csrf, next }: { readonly csrf: string; readonly next: string }) {
  const [state, action, pending] = useActionState(signIn, IDLE);
  const errors = state.fieldErrors ?? {};
  return (
    <form action={action} className="stack" noValidate>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="next" value={next} />
      <Summary state={state} />
      <TextField
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        error={errors.email}
        defaultValue={state.values?.email}
      />
      <TextField
        name="password"
        label="Password"
        type="password"
        autoComplete="current-password"
        error={errors.password}
      />
      <div>
        <button type="submit" disabled={pending}>
          Sign in
        </button>
      </div>
      <p>
        <Link href="/account/reset-password">Forgot your password?</Link> · New here?{' '}
        <Link href={`/account/sign-up${next ? `?next=${encodeURIComponent(next)}` : ''}`}>
          Create an account
        </Link>
      </p>
    </form>
  );
}

export function ResetRequestForm({ csrf }: { readonly csrf: string }) {
  const [state, action, pending] = useActionState(requestPasswordReset, IDLE);
  return (
    <form action={action} className="stack" noValidate>
      <input type="hidden" name="csrf" value={csrf} />
      <Summary state={state} />
      <TextField
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        error={state.fieldErrors?.email}
        defaultValue={state.values?.email}
      />
      <div>
        <button type="submit" disabled={pending}>
          Send reset link
        </button>
      </div>
    </form>
  );
}

export function ResetConfirmForm({ csrf, token }: { readonly csrf: string; readonly token: string }) {
  const [state, action, pending] = useActionState(confirmPasswordReset, IDLE);
  return (
    <form action={action} className="stack" noValidate>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="token" value={token} />
      <Summary state={state} />
      <TextField
        name="password"
        label="New password"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters."
        error={state.fieldErrors?.password}
      />
      <div>
        <button type="submit" disabled={pending}>
          Set new password
        </button>
      </div>
    </form>
  );
}
