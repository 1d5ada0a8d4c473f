/** A labelled input with its error linked by aria-describedby (server or client forms). */
export function TextField({
  name,
  label,
  type = 'text',
  autoComplete,
  error,
  defaultValue,
  hint,
  inputMode,
}: {
  readonly name: string;
  readonly label: string;
  readonly type?: string;
  readonly autoComplete?: string;
  readonly error?: string | undefined;
  readonly defaultValue?: string | undefined;
  readonly hint?: string | undefined;
  readonly inputMode?: 'numeric' | 'text' | 'email' | undefined;
}) {
  const describedBy = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      {hint ? (
        <span id={`${name}-hint`} className="muted">
          {hint}
        </span>
      ) : null}
      <input
        id={name}
        name={name}
        type={type}
        autoComplete={autoComplete}
        inputMode={inputMode}
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        required
      />
      {error ? (
        <span id={`${name}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}
