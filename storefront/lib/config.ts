/**
 * Where the storefront finds the APIs and how it sets cookies. Read from the environment on every call (not
 * at import) so that the embedded process, which sets the variables before it starts Next, is always seen.
 */
export interface StorefrontConfig {
  readonly commandApiUrl: string;
  readonly queryApiUrl: string;
  readonly publicUrl: string;
  /** `Secure` cookies: only in production, where the storefront is served over HTTPS. */
  readonly secureCookies: boolean;
  readonly stripePublishableKey: string | undefined;
  readonly mailSender: 'mailbox' | 'log';
  /**
   * The dev mailbox page: only in embedded mode (no DATABASE_URL: the storefront runs in the same process
   * and on the same disk as the mail sender), and only while mail goes to the mailbox folder.
   */
  readonly devMailbox: boolean;
  readonly dataDir: string;
}

export function storefrontConfig(): StorefrontConfig {
  const env = process.env;
  return {
    commandApiUrl: trimSlash(env.TALLY_COMMAND_API_URL ?? 'http://127.0.0.1:3001'),
    queryApiUrl: trimSlash(env.TALLY_QUERY_API_URL ?? 'http://127.0.0.1:3002'),
    publicUrl: trimSlash(env.TALLY_PUBLIC_URL ?? 'http://localhost:3000'),
    secureCookies: env.NODE_ENV === 'production' && (env.TALLY_PUBLIC_URL ?? '').startsWith('https://'),
    stripePublishableKey: env.STRIPE_PUBLISHABLE_KEY?.startsWith('pk_')
      ? env.STRIPE_PUBLISHABLE_KEY
      : undefined,
    mailSender: env.TALLY_MAIL_SENDER === 'log' ? 'log' : 'mailbox',
    devMailbox: env.TALLY_MAIL_SENDER !== 'log' && !env.DATABASE_URL,
    dataDir: env.TALLY_DATA_DIR ?? './.tally',
  };
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
