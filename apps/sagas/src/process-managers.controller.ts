import { Controller, Get, Inject } from '@nestjs/common';
import { Roles } from '@tally/platform';
import { ProcessHost, type ProcessManagerInfo } from './runtime/process-host';

@Controller('api/v1/process-managers')
@Roles('admin')
export class ProcessManagersController {
  constructor(@Inject(ProcessHost) private readonly host: ProcessHost) {}

  /** The process managers this app runs, with their consumer state and instance counts. */
  @Get()
  async list(): Promise<{ items: ProcessManagerInfo[] }> {
    return { items: await this.host.list() };
  }
}
