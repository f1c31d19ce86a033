import { BUDGET_NAMES, DEFAULT_QUEUE_NAME } from '@svdecode/experiments';
import { METHODS } from '@svdecode/peft-tfjs';
import { AGGREGATES } from '@svdecode/strength';
import { TASKS } from '@svdecode/tiny';
import { Command, Option } from 'commander';
import { calibrateCommand } from './commands/calibrate.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { exportGgufCommand } from './commands/export-gguf.js';
import { exportOnnxCommand } from './commands/export-onnx.js';
import { generateCommand } from './commands/generate.js';
import { infoCommand } from './commands/info.js';
import { serveCommand } from './commands/serve.js';
import { studyCommand, workerCommand } from './commands/study.js';
import { warmstartCommand } from './commands/warmstart.js';
import { BACKEND_CHOICES } from './models.js';
import { number } from './options.js';

const MODEL_HELP = 'Hugging Face model directory, or "tiny" for the embedded default';

/** Options every command takes. */
/** Which backend loads the model; auto: by priority (onnx, then tfjs) among those that can load it. */
function backendOption(): Option {
  return new Option(
    '--backend <name>',
    'tensor backend (auto: llama-cpp for a .gguf file, else the first of onnx, tfjs that can load the model directory; a PEFT adapter directory needs tfjs, llama-cpp takes a GGUF LoRA)',
  )
    .choices([...BACKEND_CHOICES])
    .default('auto');
}

/** Which graph of an onnx-community directory the onnx backend loads (transformers.js's names). */
function dtypeOption(): Option {
  return new Option(
    '--dtype <name>',
    'ONNX graph to load from an onnx-community directory (default: fp32, else the first present)',
  ).choices(['fp32', 'fp16', 'q8', 'quantized', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4']);
}

function common(command: Command, json = true): Command {
  if (json) command.option('--json', 'print one JSON object on stdout (progress stays on stderr)');
  return command
    .option('--quiet', 'no progress output')
    .option('--verbose', 'print stack traces with errors');
}

function steeringOptions(command: Command): Command {
  return command
    .option('--steering <file>', 'steering.json written by calibrate (checked against the model and adapter)')
    .option('--mu <number>', 'steering strength to use directly (steering on, no file needed)', number())
    .option('--no-steer', 'decode without steering')
    .option(
      '--alpha <number>',
      "confidence threshold of the steering vector (default: the steering file's, else 0.1)",
      number({ min: 0, max: 1, exclusiveMin: true }),
    );
}

/** The svdecode command tree; actions are async and throw SvdecodeErrors. */
export function buildProgram(): Command {
  const program = new Command('svdecode')
    .description(
      'Steering Vector Decoding (SVDecode) for Node.js: warm-start a PEFT adapter, calibrate one steering strength, decode steered.',
    )
    .configureHelp({ showGlobalOptions: false });

  common(
    program
      .command('demo')
      .description(
        'the main job on the embedded default: warm-start, calibrate, then compare base / PEFT / PEFT + SVDecode on a test split',
      )
      .addOption(new Option('--method <name>', 'PEFT method (default lora)').choices(METHODS))
      .addOption(
        new Option(
          '--task <name>',
          "task of the embedded default (default: the study's demo regime, packages/tiny/DECISIONS.md rule 16)",
        ).choices(TASKS),
      )
      .addOption(
        new Option(
          '--budget <name>',
          "warm-start budget: paper (lr 5e-5), d/10, d/3, d (the method's default rate, 1 epoch), dx3 (3 epochs); default: the study's demo regime",
        ).choices(BUDGET_NAMES),
      )
      .option('--examples <n>', 'generations shown side by side', number({ min: 0, integer: true }), 3),
  ).action((flags) => demoCommand(flags));

  common(
    program
      .command('warmstart')
      .description(
        'train a fresh PEFT adapter on prompt/completion (or multiple-choice) rows and save it in the PEFT layout',
      )
      .requiredOption('--model <dir|tiny>', MODEL_HELP)
      .requiredOption('--data <file>', 'training rows (.jsonl prompt/completion or multiple choice)')
      .addOption(new Option('--method <name>', 'PEFT method').choices(METHODS).makeOptionMandatory())
      .requiredOption(
        '--out <dir>',
        'adapter directory to write (adapter_config.json + adapter_model.safetensors)',
      )
      .option('--epochs <n>', 'passes over the data', number({ min: 1, integer: true }), 1)
      .option(
        '--lr <number>',
        'peak learning rate (AdamW, linear decay)',
        number({ min: 0, exclusiveMin: true }),
        5e-5,
      )
      .option('--batch-size <n>', 'examples per micro-batch', number({ min: 1, integer: true }), 1)
      .option('--grad-accum <n>', 'micro-batches per optimizer step', number({ min: 1, integer: true }), 1)
      .option(
        '--max-length <n>',
        'tokens kept per example (prompt cut from the left)',
        number({ min: 2, integer: true }),
        512,
      )
      .option('--seed <n>', 'shuffling and initialisation seed', number({ min: 0, integer: true }), 0),
  ).action((flags) => warmstartCommand(flags));

  common(
    program
      .command('calibrate')
      .description(
        'compute mu_bar on calibration rows (teacher forcing through base and adapted model) and write steering.json',
      )
      .requiredOption('--model <dir|tiny>', MODEL_HELP)
      .requiredOption('--adapter <dir>', 'PEFT adapter directory')
      .requiredOption(
        '--data <file>',
        'calibration rows (.jsonl prompt/completion or multiple choice, TruthfulQA)',
      )
      .requiredOption('--out <file>', 'steering file to write')
      .option(
        '--alpha <number>',
        'confidence threshold (paper: 0.1)',
        number({ min: 0, max: 1, exclusiveMin: true }),
        0.1,
      )
      .addOption(
        new Option(
          '--aggregate <name>',
          "how per-token mu* become mu_bar (optimal: exact minimiser of the calibration loss; mean: the paper's)",
        )
          .choices(AGGREGATES)
          .default('optimal'),
      )
      .option(
        '--no-guard',
        'use the aggregate as fitted, even when cross-validation over the calibration rows does not support it',
      )
      .option(
        '--folds <k>',
        'cross-validation folds over calibration rows (0: off; with the guard on, mu_bar is then 0)',
        number({ min: 0, max: 255, integer: true }),
        5,
      )
      .addOption(backendOption())
      .addOption(dtypeOption()),
  ).action((flags) => calibrateCommand(flags));

  common(
    steeringOptions(
      program
        .command('generate')
        .description('decode a prompt with the adapted model, steered or plain')
        .requiredOption(
          '--model <dir|tiny>',
          `${MODEL_HELP} (with --backend onnx: an ONNX export; tiny is exported once into the cache)`,
        )
        .option('--adapter <dir>', 'PEFT adapter directory (tfjs backend)')
        .requiredOption('--prompt <text>', 'the prompt'),
    )
      .addOption(
        new Option('--strategy <name>', 'decoding strategy')
          .choices(['greedy', 'sample', 'beam'])
          .default('greedy'),
      )
      .option('--num-beams <n>', 'beams for --strategy beam', number({ min: 1, integer: true }), 4)
      .option(
        '--top-k <n>',
        'keep the k most likely tokens (sample; default: off)',
        number({ min: 1, integer: true }),
      )
      .option(
        '--top-p <number>',
        'nucleus threshold (sample; default: off)',
        number({ min: 0, max: 1, exclusiveMin: true }),
      )
      .option(
        '--temperature <number>',
        'softmax temperature (sample)',
        number({ min: 0, exclusiveMin: true }),
        1,
      )
      .option('--seed <n>', 'seed of the draw (sample)', number({ min: 0, integer: true }), 0)
      .option('--max-new-tokens <n>', 'tokens to generate at most', number({ min: 1, integer: true }), 64)
      .option(
        '--no-lazy-base',
        'run the base model on every steered step (default: only on the steps whose steered distribution depends on it; same tokens)',
      )
      .addOption(backendOption())
      .addOption(dtypeOption()),
  ).action((flags) => generateCommand(flags));

  common(
    steeringOptions(
      program
        .command('eval')
        .description(
          'evaluate the adapted model with SVDecode on a test file (--compare: also without steering; no --adapter: the base model alone)',
        )
        .requiredOption('--model <dir|tiny>', MODEL_HELP)
        .option('--adapter <dir>', 'PEFT adapter directory (omit it to evaluate the base model, unsteered)')
        .requiredOption(
          '--data <file>',
          'test rows (.jsonl multiple choice or prompt/completion, TruthfulQA .csv/.json)',
        )
        .option('--compare', 'also evaluate without steering, side by side')
        .option('--limit <n>', 'evaluate the first n rows only', number({ min: 1, integer: true }))
        .addOption(backendOption())
        .addOption(dtypeOption()),
    ),
  ).action((flags) => evalCommand(flags));

  common(
    program
      .command('export-onnx')
      .description('export the model (adapter merged, or paired with --paired) to the Optimum ONNX layout')
      .requiredOption('--model <dir|tiny>', MODEL_HELP)
      .option('--adapter <dir>', 'PEFT adapter (LoRA or IA3) to merge or pair')
      .option('--paired', 'keep the adapter as a branch switched per row (steered decoding on ONNX)')
      .option(
        '--steering-in-graph',
        'with --paired: put the steering step in the graph, onnxruntime computes it (default: for vocabularies of 8,192 tokens or more)',
      )
      .option('--no-steering-in-graph', 'with --paired: leave the steering step to JavaScript')
      .option('--external-data', 'write the weights to onnx/model.onnx_data beside the graph')
      .option(
        '--logits-to-keep',
        'add the logits_to_keep input (the LM head runs on the last position when decoding)',
      )
      .addOption(
        new Option(
          '--dtype <name>',
          'weights: fp32 (onnx/model.onnx), q8 or q4 (8- or 4-bit blocks of 32 with MatMulNBits: onnx/model_quantized.onnx, onnx/model_q4.onnx)',
        )
          .choices(['fp32', 'q8', 'q4'])
          .default('fp32'),
      )
      .option(
        '--quantize-embeddings',
        'with --dtype q8 / q4: store the embedding table quantized too (GatherBlockQuantized; a much smaller file)',
      )
      .requiredOption('--out <dir>', 'directory to write'),
  ).action((flags) => exportOnnxCommand(flags));

  common(
    program
      .command('export-gguf')
      .description(
        'write a GGUF file for llama.cpp: the model with its tokenizer, or with --adapter a PEFT LoRA adapter as a GGUF LoRA adapter',
      )
      .requiredOption('--model <dir|tiny>', MODEL_HELP)
      .option(
        '--adapter <dir>',
        'PEFT LoRA adapter to write instead of the model (--out is then the adapter file)',
      )
      .addOption(
        new Option(
          '--dtype <type>',
          "element type of the weight matrices: f32, f16, or llama.cpp's block quantizations q8_0 and q4_0",
        )
          .choices(['f32', 'f16', 'q8_0', 'q4_0'])
          .default('f32'),
      )
      .addOption(
        new Option(
          '--fallback <type>',
          'q8_0 / q4_0: the type of matrices whose rows do not divide into blocks of 32 (default: refuse them)',
        ).choices(['f16', 'f32']),
      )
      .requiredOption('--out <file>', 'GGUF file to write'),
  ).action((flags) => exportGgufCommand(flags));

  common(
    program
      .command('serve')
      .description('start the demo server and web page (PEFT vs PEFT + SVDecode side by side)')
      .option('--model <dir|tiny>', MODEL_HELP, 'tiny')
      .option('--adapter <dir>', 'PEFT adapter directory (default with tiny: its demo LoRA)')
      .option('--steering <file>', 'steering.json (default with tiny: its demo steering file)')
      .addOption(backendOption())
      .addOption(dtypeOption())
      .option('--host <address>', 'interface to bind (only this machine by default)', '127.0.0.1')
      .option('--port <n>', 'TCP port (0: any free one)', number({ min: 0, max: 65535, integer: true }), 8787)
      .option('--max-active <n>', 'generations running at once', number({ min: 1, integer: true }), 2)
      .option(
        '--max-queued <n>',
        'generations waiting; beyond: HTTP 429',
        number({ min: 0, integer: true }),
        8,
      ),
    false,
  ).action((flags) => serveCommand(flags));

  const list = (value: string) =>
    value
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const queueName = () =>
    new Option(
      '--queue-name <name>',
      'BullMQ queue name (studies that must not share workers use their own)',
    ).default(DEFAULT_QUEUE_NAME);
  common(
    program
      .command('study')
      .description(
        'the study of where steering helps on the embedded default (resumable): local worker processes, or workers on several machines with --queue',
      )
      .option('--tasks <list>', 'tasks, comma-separated', list, [...TASKS])
      .option('--methods <list>', 'PEFT methods, comma-separated', list, [...METHODS])
      .option(
        '--budgets <list>',
        `warm-start budgets, comma-separated (${BUDGET_NAMES.join(', ')}; default: each method's)`,
        list,
      )
      .option('--seeds <list>', 'seeds, comma-separated', (v) => list(v).map(Number), [0, 1, 2])
      .option(
        '--rows <n>',
        'only the first n rows of every split (a small study)',
        number({ min: 2, integer: true }),
      )
      .option(
        '--out <dir>',
        'study directory: runs/ (the resumable store), then study.json, study.md, figures',
        'svdecode-study',
      )
      .option(
        '--jobs <n>',
        'local mode: worker processes (default: one per core, at most 2)',
        number({ min: 1, integer: true }),
      )
      .option(
        '--max-minutes <n>',
        'local mode: stop handing out runs after this long',
        number({ min: 0, exclusiveMin: true }),
      )
      .option(
        '--queue <url>',
        'redis://host:port[/db]: enqueue the runs on BullMQ and wait for `svdecode worker` processes to run them',
      )
      .addOption(queueName())
      .option(
        '--attempts <n>',
        'queue mode: attempts per run before it counts as failed',
        number({ min: 1, integer: true }),
        2,
      ),
  ).action((flags) => studyCommand(flags));

  common(
    program
      .command('worker')
      .description(
        "take study runs from a BullMQ queue on Redis and run them on the embedded default (start one per machine; needs the same svdecode version as the study's coordinator)",
      )
      .requiredOption('--queue <url>', 'redis://host:port[/db] (redis://:password@host:port with a password)')
      .addOption(queueName())
      .option(
        '--concurrency <n>',
        'worker processes (default: one per core; tfjs-wasm runs one thread each)',
        number({ min: 1, integer: true }),
      )
      .option(
        '--lock-seconds <n>',
        'a run whose worker dies is put back after about this long',
        number({ min: 1 }),
        30,
      ),
    false,
  ).action((flags) => workerCommand(flags));

  common(program.command('info').description('backends available and active here, with versions')).action(
    (flags) => infoCommand(flags),
  );
  return program;
}
