import { runStandalone } from '@tally/platform';
import { createProjectors, projectorsMigrations } from './projectors.app';

void runStandalone({
  name: 'projectors',
  port: (config) => config.PROJECTORS_PORT,
  migrations: projectorsMigrations,
  create: createProjectors,
});
