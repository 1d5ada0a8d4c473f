/** Where the payment adapters log (pino's `Logger` fits). */
export interface PaymentsLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Logs nothing; the default when no logger is given. */
export const silentPaymentsLogger: PaymentsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
