/**
 * One error class for the whole project. `code` is stable (apps map it to exit codes and HTTP
 * statuses); `hint` says what to do about it; `details` carries the offending file, line, field...
 */

/** Every error code, with what it means and the default hint. The one place codes are documented. */
export const ERROR_CODES = {
  // contracts and sessions
  VOCAB_MISMATCH: {
    kind: 'input',
    hint: 'Use a base and an adapted model that share one tokenizer and vocabulary.',
  },
  NON_FINITE_LOGITS: {
    kind: 'input',
    hint: 'A model produced NaN logits; check the weights and the inputs.',
  },
  BAD_ARGUMENT: { kind: 'input', hint: 'Check the value against the documented range.' },
  BAD_TOKENS: { kind: 'input', hint: 'Pass a non-empty list of integer token ids.' },
  TOKEN_OUT_OF_RANGE: { kind: 'input', hint: 'Token ids must lie in [0, vocabSize).' },
  CONTEXT_OVERFLOW: { kind: 'input', hint: 'Shorten the prompt or lower the number of new tokens.' },
  SESSION_DISPOSED: { kind: 'usage', hint: 'Create or fork a new session; a disposed one cannot be used.' },
  LAZY_BASE_UNSUPPORTED: {
    kind: 'usage',
    hint: 'The base session cannot prefill into an existing cache; decode eagerly (lazyBase: false, --no-lazy-base).',
  },
  // backend registry
  UNKNOWN_BACKEND: { kind: 'usage', hint: 'Pick one of the registered backends (see `svdecode info`).' },
  NO_BACKEND: {
    kind: 'environment',
    hint: 'Install one of the listed backends or fix the failure reported for it.',
  },
  BACKEND_FAILED: {
    kind: 'environment',
    hint: 'The tensor library failed on a valid request; the message says how (run with --verbose for the stack).',
  },
  // safetensors
  SAFETENSORS_TRUNCATED: {
    kind: 'file',
    hint: 'The file is shorter than its header says; re-download or re-save it.',
  },
  SAFETENSORS_TRAILING_BYTES: { kind: 'file', hint: 'The file has bytes past its last tensor; re-save it.' },
  SAFETENSORS_BAD_HEADER_LENGTH: {
    kind: 'file',
    hint: 'The header length is larger than the file or than 100 MB; the file is not safetensors or is corrupt.',
  },
  SAFETENSORS_BAD_HEADER: {
    kind: 'file',
    hint: 'The header is not a JSON object of tensor entries; the file is not safetensors or is corrupt.',
  },
  SAFETENSORS_BAD_ENTRY: { kind: 'file', hint: 'A tensor entry lacks a valid dtype, shape or data_offsets.' },
  SAFETENSORS_DUPLICATE_NAME: { kind: 'file', hint: 'Two tensors share a name; re-save the file.' },
  SAFETENSORS_OFFSET_GAP: {
    kind: 'file',
    hint: 'Tensor data must be contiguous from offset 0; re-save the file.',
  },
  SAFETENSORS_OFFSET_OVERLAP: {
    kind: 'file',
    hint: 'Two tensors overlap in the data buffer; re-save the file.',
  },
  SAFETENSORS_SIZE_MISMATCH: {
    kind: 'file',
    hint: 'A tensor byte range does not match its shape and dtype.',
  },
  SAFETENSORS_UNSUPPORTED_DTYPE: {
    kind: 'file',
    hint: 'Convert the tensor to F32, F16, BF16 or an integer dtype.',
  },
  TENSOR_NOT_FOUND: {
    kind: 'file',
    hint: 'Check the tensor name against the file (names are case-sensitive).',
  },
  // model directories
  FILE_NOT_FOUND: {
    kind: 'file',
    hint: 'Check the path; a model directory needs config.json and safetensors weights.',
  },
  BAD_JSON: { kind: 'file', hint: 'Fix the JSON syntax of the file.' },
  CONFIG_INVALID: { kind: 'file', hint: 'Fix the named field of config.json.' },
  UNSUPPORTED_MODEL_TYPE: { kind: 'file', hint: 'Supported model_type values: llama, qwen2, mistral.' },
  UNSUPPORTED_ARCHITECTURE: {
    kind: 'file',
    hint: 'Supported architectures: LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM.',
  },
  MISSING_WEIGHT: {
    kind: 'file',
    hint: 'The weights lack a tensor the config requires; check the checkpoint matches config.json.',
  },
  WEIGHT_SHAPE_MISMATCH: {
    kind: 'file',
    hint: 'A weight has another shape than the config implies; check the checkpoint matches config.json.',
  },
  QUANT_SHAPE: {
    kind: 'input',
    hint: 'Block quantization (q4 / q8, Q4_0 / Q8_0) needs every quantized matrix input dimension divisible by 32; export in fp32 or fp16.',
  },
  ONNX_OPERATOR_UNSUPPORTED: {
    kind: 'environment',
    hint: 'This onnxruntime build lacks an operator the graph uses (quantized graphs need com.microsoft MatMulNBits, onnxruntime 1.17+); upgrade onnxruntime-node or load the fp32 graph.',
  },
  GGUF_UNSUPPORTED: {
    kind: 'file',
    hint: 'GGUF export covers Llama-family models without biases, byte-level BPE tokenizers and LoRA adapters.',
  },
  GGUF_INVALID: {
    kind: 'file',
    hint: 'llama.cpp refused the file: check it is a GGUF model (or a LoRA adapter of the same architecture).',
  },
  ONNX_INVALID: {
    kind: 'file',
    hint: 'Use an Optimum decoder export with the KV cache (onnx/model.onnx with past_key_values inputs).',
  },
  ONNX_UNSUPPORTED_INPUT: {
    kind: 'file',
    hint: 'The graph needs inputs svdecode does not provide; re-export it as a plain Optimum text decoder.',
  },
  TOKENIZER_INVALID: {
    kind: 'file',
    hint: 'tokenizer.json could not be loaded; re-save it with Hugging Face tokenizers.',
  },
  // data
  BAD_DATASET_ROW: { kind: 'input', hint: 'Fix the named row and field of the dataset file.' },
  // steering
  NON_FINITE_STRENGTH: {
    kind: 'input',
    hint: 'The calibration gave no finite mu_bar; use another aggregate (mean, median) or more calibration data.',
  },
  STEERING_MISMATCH: {
    kind: 'usage',
    hint: 'The steering file was calibrated for another base model or adapter; run calibrate again for this pair.',
  },
  ABORTED: {
    kind: 'usage',
    hint: 'The work was interrupted (Ctrl-C or an abort signal); run it again to finish.',
  },
  // study queues (BullMQ on Redis)
  QUEUE_UNREACHABLE: {
    kind: 'environment',
    hint: 'Start Redis (redis-server --bind 127.0.0.1 --port 6379) or fix the host and port in --queue; from another machine check the firewall and that Redis listens on that interface.',
  },
  QUEUE_REFUSED: {
    kind: 'environment',
    hint: 'Redis answered but refused: check the password in the URL (redis://:password@host:port), the ACL user and that the server is a writable primary.',
  },
  STUDY_FINGERPRINT_MISMATCH: {
    kind: 'environment',
    hint: 'This worker has another embedded model, other task data or another svdecode version than the coordinator; install the same version on every machine (the same @svdecode/tiny and @svdecode/experiments).',
  },
  STUDY_RUNS_FAILED: {
    kind: 'environment',
    hint: 'Fix the cause shown for each run and run the same study command again: stored runs are kept, failed ones are retried.',
  },
  // anything else
  INTERNAL: {
    kind: 'internal',
    hint: 'This is a bug in svdecode; please report it with the command you ran.',
  },
} as const satisfies Record<string, { kind: ErrorKind; hint: string }>;

/** Broad families of errors, for apps that map codes to exit codes or HTTP statuses. */
export type ErrorKind = 'input' | 'usage' | 'file' | 'environment' | 'internal';

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SvdecodeErrorOptions {
  /** Overrides the default hint of the code. */
  hint?: string;
  /** Offending file, line, field, shapes... anything a user needs to find the problem. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class SvdecodeError extends Error {
  override readonly name = 'SvdecodeError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SvdecodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = ERROR_CODES[code].kind;
    this.hint = options.hint ?? ERROR_CODES[code].hint;
    this.details = options.details ?? {};
  }

  /** `CODE: message (hint: ...)`, the one-line form apps print. */
  format(): string {
    return `${this.code}: ${this.message}\n  hint: ${this.hint}`;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

export function isSvdecodeError(value: unknown, code?: ErrorCode): value is SvdecodeError {
  return value instanceof SvdecodeError && (code === undefined || value.code === code);
}
