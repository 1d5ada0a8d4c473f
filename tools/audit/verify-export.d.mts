/** Types of the standalone offline verifier `verify-export.mjs`, for Tally's own tests and CLI. */

export declare const EXPORT_FORMAT: 'tally-audit-export/v1';
export declare const GENESIS_HASH: string;
export declare const CSV_COLUMNS: readonly string[];

export declare class JsonNumber {
  constructor(literal: string);
  readonly literal: string;
}

export declare class JsonObject {
  readonly members: Map<string, ParsedJson>;
  get(key: string): ParsedJson | undefined;
}

export type ParsedJson = null | boolean | string | JsonNumber | JsonObject | ParsedJson[];

export declare function parseJson(text: string): ParsedJson;
export declare function canonicalJson(value: unknown): string;
export declare function canonicalNumber(literal: string): string;
export declare function parseCsvRecord(text: string): string[] | Error | undefined;

export interface VerifyExportOptions {
  /** The raw 32-byte Ed25519 public key the checkpoint must be signed with, base64. */
  readonly publicKey?: string;
}

export interface VerifyExportFailure {
  readonly line: number;
  readonly streamId?: string;
  readonly version?: number;
  readonly message: string;
}

export interface VerifyExportResult {
  readonly ok: boolean;
  readonly format: 'jsonl' | 'csv';
  readonly checkpoint: Record<string, unknown> | undefined;
  readonly events: number;
  readonly streams: number;
  readonly pinned: boolean;
  /** The first 100 failures. */
  readonly failures: readonly VerifyExportFailure[];
  readonly failureCount: number;
}

export interface ExportVerifier {
  push(line: string): void;
  end(): VerifyExportResult;
}

export declare function createExportVerifier(options?: VerifyExportOptions): ExportVerifier;
export declare function verifyExport(text: string, options?: VerifyExportOptions): VerifyExportResult;
export declare function formatReport(result: VerifyExportResult): string;
