import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { RunningProjections } from './running-projections';

/** Starts the projections once the app is up and stops them (finishing batches in flight) before it closes. */
@Injectable()
export class ProjectorsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(RunningProjections) private readonly projections: RunningProjections) {}

  onApplicationBootstrap(): Promise<void> {
    return this.projections.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.projections.stop();
  }
}
