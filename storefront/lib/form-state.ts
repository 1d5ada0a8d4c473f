/**
 * What a form's Server Action returns to `useActionState`: nothing yet, or what went wrong (a summary for the
 * role=alert box and a message per field, keyed by the form's input name), and the values to show again.
 * Kept apart from forms.ts so that client components can import it without server code.
 */
export interface FormState {
  readonly status: 'idle' | 'error' | 'ok';
  readonly message?: string;
  readonly fieldErrors?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, string>>;
}

export const IDLE: FormState = { status: 'idle' };
