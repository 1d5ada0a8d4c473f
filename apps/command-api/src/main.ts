import { runStandalone } from '@tally/platform';
import { commandApiMigrations, createCommandApi } from './command-api.app';

void runStandalone({
  name: 'command-api',
  port: (config) => config.COMMAND_API_PORT,
  migrations: commandApiMigrations,
  create: createCommandApi,
});
