import { fieldErrors, problemMessage, type Problem } from './api';
import { CSRF_FAILED_MESSAGE } from './csrf';
import type { FormState } from './form-state';

export { IDLE, type FormState } from './form-state';

export function csrfFailed(): FormState {
  return { status: 'error', message: CSRF_FAILED_MESSAGE };
}

/** A problem from the API as form state; `fieldMap` renames API fields to the form's input names. */
export function problemState(
  problem: Problem,
  values: Readonly<Record<string, string>> = {},
  fieldMap: Readonly<Record<string, string>> = {},
): FormState {
  const byField: Record<string, string> = {};
  for (const [field, message] of Object.entries(fieldErrors(problem)))
    byField[fieldMap[field] ?? field] = message;
  return { status: 'error', message: problemMessage(problem), fieldErrors: byField, values };
}

/** The string value of a form field ('' when absent or a file). */
export function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}
