import { runStandalone } from '@tally/platform';
import { createQueryApi, queryApiMigrations } from './query-api.app';

void runStandalone({
  name: 'query-api',
  port: (config) => config.QUERY_API_PORT,
  migrations: queryApiMigrations,
  create: createQueryApi,
});
