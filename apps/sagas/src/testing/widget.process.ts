import type { DomainEvent, ProcessManager } from '@tally/domain';
import type { ProcessAction, ProcessDefinition } from '../runtime/process-definition';

/**
 * A small process manager for the runtime's tests, with every shape the runtime must host: a command per
 * input, a scheduled timeout, a terminal state and a `resume` that repeats the pending step.
 *
 * WidgetOrdered -> ReserveWidget + timeout WidgetExpired at `expiresAt`; WidgetReserved -> ShipWidget;
 * WidgetShipped -> done; WidgetExpired while still waiting for stock -> CancelWidget, cancelled.
 * WidgetNoted (any `n`) -> NoteWidget keyed by `n`, and `notes` keeps the order in which they were seen.
 */
export type WidgetEvent =
  | DomainEvent<'WidgetOrdered', { orderId: string; expiresAt: string }>
  | DomainEvent<'WidgetReserved', { orderId: string }>
  | DomainEvent<'WidgetShipped', { orderId: string }>
  | DomainEvent<'WidgetNoted', { orderId: string; n: number }>
  | WidgetExpired;
export type WidgetExpired = DomainEvent<'WidgetExpired', { orderId: string }>;

export interface WidgetCommand {
  readonly type: 'ReserveWidget' | 'ShipWidget' | 'CancelWidget' | 'NoteWidget';
  readonly data: { readonly orderId: string; readonly n?: number };
}

export interface WidgetState {
  readonly status: 'none' | 'ordered' | 'reserved' | 'shipped' | 'cancelled';
  readonly orderId: string;
  readonly notes: readonly number[];
}

type WidgetAction = ProcessAction<WidgetCommand, WidgetExpired>;

export const widgetManager: ProcessManager<WidgetEvent, WidgetAction, WidgetState> = {
  initialState: { status: 'none', orderId: '', notes: [] },
  evolve(state, event) {
    switch (event.type) {
      case 'WidgetOrdered':
        return state.status === 'none' ? { ...state, status: 'ordered', orderId: event.data.orderId } : state;
      case 'WidgetReserved':
        return state.status === 'ordered' ? { ...state, status: 'reserved' } : state;
      case 'WidgetShipped':
        return state.status === 'reserved' ? { ...state, status: 'shipped' } : state;
      case 'WidgetExpired':
        return state.status === 'ordered' ? { ...state, status: 'cancelled' } : state;
      case 'WidgetNoted':
        return { ...state, notes: [...state.notes, event.data.n] };
    }
  },
  react(state, event) {
    const orderId = event.data.orderId;
    switch (event.type) {
      case 'WidgetOrdered':
        if (state.status !== 'none') return [];
        return [
          { kind: 'send', key: 'reserve', command: { type: 'ReserveWidget', data: { orderId } } },
          {
            kind: 'schedule',
            key: 'expire',
            dueAt: event.data.expiresAt,
            event: { type: 'WidgetExpired', data: { orderId } },
          },
        ];
      case 'WidgetReserved':
        return state.status === 'ordered'
          ? [{ kind: 'send', key: 'ship', command: { type: 'ShipWidget', data: { orderId } } }]
          : [];
      case 'WidgetExpired':
        return state.status === 'ordered'
          ? [{ kind: 'send', key: 'cancel', command: { type: 'CancelWidget', data: { orderId } } }]
          : [];
      case 'WidgetNoted':
        return [
          {
            kind: 'send',
            key: `note-${event.data.n}`,
            command: { type: 'NoteWidget', data: { orderId, n: event.data.n } },
          },
        ];
      case 'WidgetShipped':
        return [];
    }
  },
  resume(state) {
    const { orderId } = state;
    if (state.status === 'ordered')
      return [{ kind: 'send', key: 'reserve', command: { type: 'ReserveWidget', data: { orderId } } }];
    if (state.status === 'reserved')
      return [{ kind: 'send', key: 'ship', command: { type: 'ShipWidget', data: { orderId } } }];
    return [];
  },
  isTerminal: (state) => state.status === 'shipped' || state.status === 'cancelled',
};

/** The widget process as the runtime hosts it; `name` keeps tests that share a database apart. */
export function widgetDefinition(
  name = 'widget',
): ProcessDefinition<WidgetEvent, WidgetCommand, WidgetExpired, WidgetState> {
  return {
    name,
    manager: widgetManager,
    eventTypes: ['WidgetOrdered', 'WidgetReserved', 'WidgetShipped', 'WidgetNoted'],
    instanceOf: (event) => {
      const orderId = (event.data as { orderId?: unknown } | null)?.orderId;
      return typeof orderId === 'string' ? orderId : undefined;
    },
    streamId: (orderId) => `${name}-${orderId}`,
    recordTypes: { observed: 'WidgetEventObserved', timeoutFired: 'WidgetTimeoutFired' },
  };
}
