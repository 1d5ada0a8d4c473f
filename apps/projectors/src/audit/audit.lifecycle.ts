import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AuditScheduler } from './audit-scheduler';

/** Starts the audit schedules with the app and stops them (after the job in flight) before it closes. */
@Injectable()
export class AuditLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(AuditScheduler) private readonly audit: AuditScheduler) {}

  onApplicationBootstrap(): Promise<void> {
    return this.audit.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.audit.stop();
  }
}
