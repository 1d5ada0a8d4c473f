import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const url = (schemes: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `must be a URL with scheme ${schemes.join(' or ')}`,
    );

/**
 * A PostgreSQL identifier Tally creates (schema, role): lower case, so it needs no quoting in analysts' SQL,
 * and not `pg_`, which PostgreSQL reserves.
 */
const identifier = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      'must be lower-case letters, digits or _ (at most 63), not starting with a digit',
    )
    .refine((value) => !value.startsWith('pg_'), 'must not start with pg_ (reserved by PostgreSQL)')
    .default(fallback);

/** Every environment variable Tally reads. Unknown TALLY_* variables are rejected to catch typos. */
const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  TALLY_DATA_DIR: z.string().min(1).default('./.tally'),
  NATS_URL: url(['nats', 'tls']).optional(),
  /**
   * Namespace on NATS: subjects `<prefix>.events.>` / `<prefix>.commands.*`, JetStream stream `<PREFIX>_EVENTS`.
   * Lets several Tally deployments (or test runs) share one NATS server without seeing each other.
   */
  NATS_PREFIX: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,31}$/,
      'must be lower-case letters, digits or _ (at most 32), starting with a letter',
    )
    .default('tally'),
  EVENTSTORE_URL: url(['esdb', 'esdb+discover', 'kurrentdb', 'kurrentdb+discover']).optional(),
  OPENSEARCH_URL: url(['http', 'https']).optional(),
  STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  STOREFRONT_PORT: port(3000),
  COMMAND_API_PORT: port(3001),
  QUERY_API_PORT: port(3002),
  PROJECTORS_PORT: port(3003),
  SAGAS_PORT: port(3004),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(0).max(30_000).default(2000),
  TALLY_SEED: z.enum(['auto', 'off']).default('auto'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Tax on subtotal + shipping, in basis points (2000 = 20 %). */
  TAX_RATE_BASIS_POINTS: z.coerce.number().int().min(0).max(10_000).default(2000),
  /** How long checkout waits for a payment before cancelling the order (default 15 min). */
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(900_000),
  /** Simulated payment provider (used when STRIPE_SECRET_KEY is not set). */
  SIMULATED_PAYMENT_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  SIMULATED_PAYMENT_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** Shared secret with which the simulated provider signs its webhooks. */
  SIMULATED_WEBHOOK_SECRET: z.string().startsWith('whsec_').default('whsec_tally_simulated_provider'),
  /** Publishable key for Stripe Elements in the storefront (Stripe mode). */
  STRIPE_PUBLISHABLE_KEY: z.string().startsWith('pk_').optional(),
  /**
   * HMAC secret for access tokens and signed cart cookies, shared by every app. Required in full mode;
   * embedded mode generates one under TALLY_DATA_DIR when unset.
   */
  TALLY_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** First admin: created at start when no account has this email (with TALLY_ADMIN_PASSWORD). */
  TALLY_ADMIN_EMAIL: z.email().optional(),
  TALLY_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /** Where outgoing email goes: `mailbox` writes each message as a file under TALLY_DATA_DIR/mailbox; `log` logs it. */
  TALLY_MAIL_SENDER: z.enum(['mailbox', 'log']).default('mailbox'),
  /** The storefront's public origin, for links in emails (password reset). */
  TALLY_PUBLIC_URL: url(['http', 'https']).default('http://localhost:3000'),
  /** Where the storefront reaches command-api and query-api (server side). */
  TALLY_COMMAND_API_URL: url(['http', 'https']).default('http://127.0.0.1:3001'),
  TALLY_QUERY_API_URL: url(['http', 'https']).default('http://127.0.0.1:3002'),
  /** Where the storefront's auditor pages reach the projectors app (checkpoints and verifications on demand). */
  TALLY_PROJECTORS_URL: url(['http', 'https']).default('http://127.0.0.1:3003'),
  /**
   * Proxies whose X-Forwarded-For is believed (Fastify trustProxy syntax: addresses, CIDRs or the presets
   * loopback, linklocal, uniquelocal, comma separated). The storefront calls the APIs from loopback, so the
   * shopper's address (for per-IP sign-in limits) arrives in X-Forwarded-For. `none` trusts nobody.
   */
  TALLY_TRUST_PROXY: z.string().trim().min(1).default('loopback'),
  /**
   * Ed25519 private key that signs audit checkpoints: a PKCS#8 PEM, or the base64/base64url of the raw
   * 32-byte seed. Embedded mode generates one under TALLY_DATA_DIR when unset; full mode without it makes
   * no checkpoints (every process must sign with the same key).
   */
  TALLY_AUDIT_SIGNING_KEY: z
    .string()
    .trim()
    .refine(
      isEd25519PrivateKey,
      'must be an Ed25519 private key: PKCS#8 PEM, or base64/base64url of its 32-byte seed',
    )
    .optional(),
  /** Seconds between scheduled signed checkpoints (projectors); 0 turns the schedule off. */
  TALLY_AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(3600),
  /** Seconds between scheduled full `audit verify` runs (projectors); 0 turns the schedule off. */
  TALLY_AUDIT_VERIFY_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(86_400),
  /** PostgreSQL database of the analysts' warehouse (docs/warehouse.md); default: the main database. */
  WAREHOUSE_URL: url(['postgres', 'postgresql']).optional(),
  /** Schema of the warehouse's tables and metric views, in the main database or in WAREHOUSE_URL's. */
  TALLY_WAREHOUSE_SCHEMA: identifier('warehouse').refine(
    (value) => value !== 'public',
    'must not be public: the warehouse gets a schema of its own',
  ),
  /** A cart with items and no activity for this long counts as abandoned (1 minute to 30 days). */
  TALLY_WAREHOUSE_CART_IDLE_MINUTES: z.coerce.number().int().min(1).max(43_200).default(60),
  /** Seconds between the projectors' sweeps for carts that went idle without a later event. */
  TALLY_WAREHOUSE_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /**
   * Key of the customer pseudonyms in the warehouse (HMAC-SHA256 of the customer id). Default: derived
   * from the auth secret. Changing it changes every customer key, so set it once and keep it.
   */
  TALLY_WAREHOUSE_PSEUDONYM_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** The read-only database role for analysts, created by the warehouse migrations. */
  TALLY_ANALYST_DB_ROLE: identifier('tally_analyst'),
  /** The analyst role's password; without it the role cannot log in (NOLOGIN). */
  TALLY_ANALYST_DB_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

// Shape only; libs/audit reads the key. A bad key stops the process at start, not at the first checkpoint.
function isEd25519PrivateKey(text: string): boolean {
  if (text.startsWith('-----BEGIN')) {
    try {
      return createPrivateKey({ key: text, format: 'pem' }).asymmetricKeyType === 'ed25519';
    } catch {
      return false;
    }
  }
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && Buffer.from(text, 'base64').length === 32;
}

const TALLY_VARIABLES = new Set(Object.keys(configSchema.shape).filter((key) => key.startsWith('TALLY_')));

/** Validated configuration. `mode` is `embedded` (PGlite, in-process bus) unless DATABASE_URL is set. */
export type AppConfig = z.infer<typeof configSchema> & { readonly mode: 'embedded' | 'full' };

/** The configuration is unusable; `problems` names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws {@link ConfigError} naming every bad or unknown variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable means "not set", as operators expect from `FOO= npm start`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const problems: string[] = [];
  for (const key of Object.keys(present)) {
    if (key.startsWith('TALLY_') && !TALLY_VARIABLES.has(key)) problems.push(`${key}: unknown setting`);
  }
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (parsed.success && parsed.data.STRIPE_SECRET_KEY && !parsed.data.STRIPE_WEBHOOK_SECRET) {
    problems.push(
      'STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY is set (webhooks must be verified)',
    );
  }
  if (
    parsed.success &&
    Boolean(parsed.data.TALLY_ADMIN_EMAIL) !== Boolean(parsed.data.TALLY_ADMIN_PASSWORD)
  ) {
    problems.push(
      'TALLY_ADMIN_PASSWORD: TALLY_ADMIN_EMAIL and TALLY_ADMIN_PASSWORD are set together or not at all',
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return { ...parsed.data, mode: parsed.data.DATABASE_URL ? 'full' : 'embedded' };
}
