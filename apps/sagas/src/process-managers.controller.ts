import { Controller, Get } from '@nestjs/common';

/** A process manager this app runs (none yet). */
export interface ProcessManagerInfo {
  readonly name: string;
  readonly consumer: string;
}

/** Empty until the checkout issue adds the checkout and payment-timeout process managers. */
export const registeredProcessManagers: readonly ProcessManagerInfo[] = [];

@Controller('api/v1/process-managers')
export class ProcessManagersController {
  @Get()
  list(): { items: readonly ProcessManagerInfo[]; detail: string } {
    return {
      items: registeredProcessManagers,
      detail:
        registeredProcessManagers.length === 0
          ? 'No process managers are registered yet; checkout and payment timeouts arrive with the checkout issue.'
          : `${registeredProcessManagers.length} process manager(s) registered.`,
    };
  }
}
