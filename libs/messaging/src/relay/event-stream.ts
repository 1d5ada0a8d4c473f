import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { allEventsSubject, DEFAULT_EVENT_STREAM, DEFAULT_SUBJECT_PREFIX } from '../subjects';

export interface EventStreamOptions {
  /** Stream name (default `TALLY_EVENTS`). */
  readonly name?: string;
  /** Subject prefix; the stream holds `<prefix>.events.>` (default `tally`). */
  readonly prefix?: string;
  /**
   * How long JetStream remembers a `Nats-Msg-Id` to drop a re-published event (default 2 minutes). A relay
   * that crashes between publishing and storing its checkpoint re-publishes within this window.
   */
  readonly duplicateWindowMs?: number;
  /** How long events are kept (default 0 = until the limits; events are also in the store forever). */
  readonly maxAgeMs?: number;
  /** Most bytes kept, oldest dropped first (default -1 = unlimited). */
  readonly maxBytes?: number;
  /** `file` (default; survives a NATS restart) or `memory` (tests that do not restart NATS). */
  readonly storage?: 'file' | 'memory';
}

const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/**
 * Creates the JetStream stream that holds relayed events, or brings an existing one to this
 * configuration (subjects, duplicate window, limits); with `create-if-missing` an existing stream is left
 * as it is. Limits retention: every consumer reads the stream independently.
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  options: EventStreamOptions = {},
  mode: 'create-or-update' | 'create-if-missing' = 'create-or-update',
): Promise<StreamInfo> {
  const name = options.name ?? DEFAULT_EVENT_STREAM;
  const wanted = {
    subjects: [allEventsSubject(options.prefix ?? DEFAULT_SUBJECT_PREFIX)],
    duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    max_age: nanos(options.maxAgeMs ?? 0),
    max_bytes: options.maxBytes ?? -1,
    discard: DiscardPolicy.Old,
  };
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
  }
  if (!existing) {
    try {
      return await jsm.streams.add({
        name,
        ...wanted,
        retention: RetentionPolicy.Limits,
        storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
        num_replicas: 1,
      });
    } catch (error) {
      // Another relay created it first: fall through to the update check.
      existing = await jsm.streams.info(name).catch(() => {
        throw error;
      });
    }
  }
  // Consumers only make sure the stream exists; the relay owns its configuration.
  if (mode === 'create-if-missing') return existing;
  const current = existing.config;
  const same =
    current.subjects.length === 1 &&
    current.subjects[0] === wanted.subjects[0] &&
    current.duplicate_window === wanted.duplicate_window &&
    current.max_age === wanted.max_age &&
    current.max_bytes === wanted.max_bytes &&
    current.discard === wanted.discard;
  return same ? existing : jsm.streams.update(name, { ...current, ...wanted });
}
