#!/usr/bin/env node
import { SvdecodeError } from '@svdecode/core';
import { CommanderError } from 'commander';
import { asSvdecodeError, EXIT_CODES, exitCodeOf } from './exit-codes.js';
import { buildProgram } from './program.js';

process.env.SVDECODE_QUIET ??= '1'; // the CLI reports the backend itself (svdecode info)

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  program.exitOverride();
  program.configureOutput({ outputError: () => {} });
  for (const command of program.commands) {
    command.exitOverride();
    command.configureOutput({ outputError: () => {} });
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      if (
        thrown.code === 'commander.helpDisplayed' ||
        thrown.code === 'commander.version' ||
        thrown.exitCode === 0
      )
        return 0;
      if (thrown.code === 'commander.help') return 0;
      const error = new SvdecodeError('BAD_ARGUMENT', thrown.message.replace(/^error: /, ''), {
        hint: 'Run svdecode --help, or svdecode <command> --help, for every flag and its default.',
      });
      process.stderr.write(`${error.format()}\n`);
      return EXIT_CODES.usage;
    }
    const error = asSvdecodeError(thrown);
    process.stderr.write(`${error.format()}\n`);
    if (verbose && thrown instanceof Error && thrown.stack) process.stderr.write(`${thrown.stack}\n`);
    return exitCodeOf(error);
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
  // tfjs-wasm and onnxruntime keep handles open; leave once output is flushed
  process.stdout.write('', () => process.exit(code));
});
