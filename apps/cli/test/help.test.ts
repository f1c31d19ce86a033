import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.js';
import { svdecode } from './run-cli.js';

describe('--help', () => {
  it('lists every command', async () => {
    const r = await svdecode(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['demo', 'warmstart', 'calibrate', 'generate', 'eval', 'export-onnx', 'info'])
      expect(r.stdout).toMatch(new RegExp(`^ {2}${c} `, 'm'));
  });

  const program = buildProgram();
  it.each(program.commands.map((c) => [c.name(), c] as const))(
    '%s --help lists every flag, with its default',
    async (name, command) => {
      const r = await svdecode([name, '--help']);
      expect(r.code).toBe(0);
      const text = r.stdout.replace(/\s+/g, ' ');
      for (const option of command.options) {
        expect(text).toContain(option.long!);
        // commander prints defaults as JSON: (default: 1), (default: "lora")
        if (option.defaultValue !== undefined && !option.negate)
          expect(text).toContain(`default: ${JSON.stringify(option.defaultValue)})`);
      }
    },
  );
});
