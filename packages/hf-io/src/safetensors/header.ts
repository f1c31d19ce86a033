import { SvdecodeError } from '@svdecode/core';
import { DTYPE_BYTES, type Dtype, isDtype } from './dtypes.js';

/** Largest header the reference implementation accepts. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Byte range within the data buffer (which starts at `dataStart` in the file). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in data order. */
  tensors: TensorInfo[];
  byName: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** File offset of the data buffer: 8 + header length. */
  dataStart: number;
}

function fail(
  code: ConstructorParameters<typeof SvdecodeError>[0],
  source: string,
  message: string,
  details = {},
): never {
  throw new SvdecodeError(code, `${source}: ${message}`, { details: { file: source, ...details } });
}

/**
 * Reads and bounds-checks the header length from the first 8 bytes. Called before the header is
 * allocated, so a hostile length can never cause a large allocation.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    fail('SAFETENSORS_TRUNCATED', source, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(
      'SAFETENSORS_BAD_HEADER_LENGTH',
      source,
      `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
      {
        headerLength: n.toString(),
      },
    );
  }
  const length = Number(n);
  if (8 + length > fileSize) {
    fail(
      'SAFETENSORS_BAD_HEADER_LENGTH',
      source,
      `header length ${length} is larger than the file (${fileSize} bytes)`,
      {
        headerLength: length,
        fileSize,
      },
    );
  }
  return length;
}

/** Parses and validates a header (the bytes after the 8-byte length) against the file size. */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail('SAFETENSORS_BAD_HEADER', source, 'header is not valid UTF-8');
  }
  if (text.trimStart()[0] !== '{') fail('SAFETENSORS_BAD_HEADER', source, 'header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail('SAFETENSORS_BAD_HEADER', source, `header is not JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    fail('SAFETENSORS_BAD_HEADER', source, 'header is not a JSON object');
  }
  const duplicate = findDuplicateTopLevelKey(text);
  if (duplicate !== undefined) {
    fail('SAFETENSORS_DUPLICATE_NAME', source, `tensor "${duplicate}" appears twice in the header`, {
      tensor: duplicate,
    });
  }

  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        fail('SAFETENSORS_BAD_HEADER', source, '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string')
          fail('SAFETENSORS_BAD_HEADER', source, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(parseEntry(name, entry, source));
  }

  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const t of tensors) {
    if (t.begin > expected) {
      fail(
        'SAFETENSORS_OFFSET_GAP',
        source,
        `gap before tensor "${t.name}": data starts at ${t.begin}, previous tensor ends at ${expected}`,
        {
          tensor: t.name,
        },
      );
    }
    if (t.begin < expected) {
      fail(
        'SAFETENSORS_OFFSET_OVERLAP',
        source,
        `tensor "${t.name}" starts at ${t.begin}, inside the previous tensor (ends at ${expected})`,
        {
          tensor: t.name,
        },
      );
    }
    expected = t.end;
  }
  const dataStart = 8 + headerBytes.length;
  if (dataStart + expected > fileSize) {
    fail(
      'SAFETENSORS_TRUNCATED',
      source,
      `file is ${fileSize} bytes but its tensors need ${dataStart + expected}`,
      {
        fileSize,
        expected: dataStart + expected,
      },
    );
  }
  if (dataStart + expected < fileSize) {
    fail(
      'SAFETENSORS_TRAILING_BYTES',
      source,
      `${fileSize - dataStart - expected} bytes follow the last tensor`,
      { fileSize },
    );
  }
  return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), metadata, dataStart };
}

function parseEntry(name: string, entry: unknown, source: string): TensorInfo {
  const bad = (what: string): never =>
    fail('SAFETENSORS_BAD_ENTRY', source, `tensor "${name}": ${what}`, { tensor: name });
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') bad('dtype missing');
  if (!isDtype(dtype)) {
    fail(
      'SAFETENSORS_UNSUPPORTED_DTYPE',
      source,
      `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`,
      {
        tensor: name,
        dtype,
      },
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad('shape must be an array of non-negative integers');
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    bad('data_offsets must be [begin, end] with 0 <= begin <= end');
  }
  const dims = shape as number[];
  const [begin, end] = offsets as [number, number];
  let elements = 1;
  for (const d of dims) {
    elements *= d;
    if (!Number.isSafeInteger(elements)) bad('shape has too many elements');
  }
  const bytes = elements * DTYPE_BYTES[dtype as Dtype];
  if (bytes !== end - begin) {
    fail(
      'SAFETENSORS_SIZE_MISMATCH',
      source,
      `tensor "${name}" (${dtype} [${dims.join(', ')}]) needs ${bytes} bytes but its data_offsets span ${end - begin}`,
      { tensor: name, expectedBytes: bytes, actualBytes: end - begin },
    );
  }
  return { name, dtype: dtype as Dtype, shape: dims, begin, end };
}

/**
 * JSON.parse keeps the last of two equal keys silently; safetensors forbids duplicates. The text is
 * known to be valid JSON here, so a shallow scan of the top-level keys is enough.
 */
export function findDuplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(start, i)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return undefined;
}
