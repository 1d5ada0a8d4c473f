import { runStandalone } from '@tally/platform';
import { createSagas, sagasMigrations } from './sagas.app';

void runStandalone({
  name: 'sagas',
  port: (config) => config.SAGAS_PORT,
  migrations: sagasMigrations,
  create: createSagas,
});
