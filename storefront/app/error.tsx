'use client';

/** Whatever went wrong while rendering: a readable page, never a stack trace. */
export default function ErrorPage({ reset }: { readonly error: Error; readonly reset: () => void }) {
  return (
    <>
      <h1>Something went wrong</h1>
      <p role="alert">This page could not be shown. Please try again.</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </>
  );
}
