import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import type { AppConfig, Infrastructure } from '@tally/platform';
import pino from 'pino';
import { TEST_AUTH_SECRET } from './auth';

/**
 * What an app is built from in an integration test: the test's configuration, database and event store, a
 * silent logger and the test auth secret. `close()` closes nothing: the test closes what it opened.
 */
export function testInfrastructure(parts: {
  readonly config: AppConfig;
  readonly sql: SqlClient;
  readonly eventStore: EventStore;
}): Infrastructure {
  return {
    ...parts,
    logger: pino({ level: 'silent' }),
    authSecret: TEST_AUTH_SECRET,
    close: () => Promise.resolve(),
  };
}
