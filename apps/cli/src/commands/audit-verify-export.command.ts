import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type CliCommand, optionalFlag, UsageError } from '../cli';

/** Where the standalone verifier lives, relative to the repository root. */
export const VERIFY_EXPORT_SCRIPT = join('tools', 'audit', 'verify-export.mjs');

/**
 * `audit verify-export <file> [--public-key <base64>]`: runs the standalone offline verifier
 * (`tools/audit/verify-export.mjs`) on an export. There is one implementation of the checks, the one a
 * third party runs; this command only saves them finding the script. Exit 0 verified, 1 a check failed.
 */
export const auditVerifyExportCommand: CliCommand = {
  group: 'audit',
  name: 'verify-export',
  arguments: '<file>',
  summary: 'Verify an export offline: signature, hashes, chains and inclusion proofs',
  flags: {
    'public-key': {
      type: 'string',
      valueName: 'base64',
      description:
        "Require the checkpoint to be signed by this raw Ed25519 public key (the operator's published key).",
    },
  },
  async run(context, args) {
    const [file, ...extra] = args.positionals;
    if (file === undefined || file === '') throw new UsageError('the export <file> is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const publicKey = optionalFlag(args, 'public-key');
    const script = findVerifier();
    const child = spawn(
      process.execPath,
      [script, file, ...(publicKey === undefined ? [] : ['--public-key', publicKey])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        resolve(code ?? 1);
      });
    });
    await Promise.all([forward(child.stdout, context.stdout), forward(child.stderr, context.stderr)]);
    return exited;
  },
};

/** The repository's copy of the verifier: the first ancestor holding package.json and the script. */
function findVerifier(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const script = join(dir, VERIFY_EXPORT_SCRIPT);
    if (existsSync(join(dir, 'package.json')) && existsSync(script)) return script;
    if (dirname(dir) === dir) throw new Error(`${VERIFY_EXPORT_SCRIPT} not found above ${__dirname}`);
  }
}

async function forward(from: Readable, to: Writable): Promise<void> {
  for await (const chunk of from) to.write(chunk as Buffer);
}
