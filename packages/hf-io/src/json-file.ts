import { access, readFile } from 'node:fs/promises';
import { SvdecodeError } from '@svdecode/core';

/** Reads and parses a JSON file; FILE_NOT_FOUND or BAD_JSON name the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${path}: cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      {
        details: { file: path },
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SvdecodeError('BAD_JSON', `${path}: ${(error as Error).message}`, {
      details: { file: path },
      cause: error,
    });
  }
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
