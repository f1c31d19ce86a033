import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | string | { float: number };

/**
 * A small ONNX graph builder: named initializers, constants and nodes with generated output
 * names. Only what the exporter needs; serialises through the `onnx-proto` protobuf definitions.
 */
export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  #count = 0;
  readonly #constants = new Map<string, string>();
  /** Operator domains besides the default one that the graph uses (e.g. com.microsoft). */
  readonly #domains = new Set<string>();

  /** A float32 weight (stored raw, little-endian). */
  weight(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push({
      name,
      dataType: DataType.FLOAT,
      dims,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** A uint8 initializer (packed quantized weights). */
  bytes(name: string, data: Uint8Array, dims: number[]): string {
    this.initializers.push({ name, dataType: DataType.UINT8, dims, rawData: data });
    return name;
  }

  /** An int64 constant (shared between uses). */
  ints(values: number[], scalar = false): string {
    const key = `i64:${scalar}:${values.join(',')}`;
    const found = this.#constants.get(key);
    if (found) return found;
    const name = `const_${this.#constants.size}`;
    const data = BigInt64Array.from(values.map(BigInt));
    this.initializers.push({
      name,
      dataType: DataType.INT64,
      dims: scalar ? [] : [values.length],
      rawData: new Uint8Array(data.buffer),
    });
    this.#constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  float(value: number): string {
    const key = `f32:${value}`;
    const found = this.#constants.get(key);
    if (found) return found;
    const name = `const_${this.#constants.size}`;
    const data = Float32Array.of(value);
    this.initializers.push({
      name,
      dataType: DataType.FLOAT,
      dims: [],
      rawData: new Uint8Array(data.buffer),
    });
    this.#constants.set(key, name);
    return name;
  }

  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const names = Array.from({ length: outputs }, () => `${type.toLowerCase()}_${this.#count++}`);
    this.nodes.push({
      opType: type,
      input: inputs,
      output: names,
      name: names[0],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** One-output op. */
  one(type: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.op(type, inputs, attrs)[0]!;
  }

  /** One-output op of another domain (onnxruntime's contrib ops are `com.microsoft`, version 1). */
  contrib(
    type: string,
    inputs: string[],
    attrs: Record<string, Attr> = {},
    domain = 'com.microsoft',
  ): string {
    const out = this.one(type, inputs, attrs);
    this.nodes[this.nodes.length - 1]!.domain = domain;
    this.#domains.add(domain);
    return out;
  }

  /** Renames the output of the last node (graph outputs need their fixed names). */
  name(value: string, as: string): string {
    this.nodes.push({ opType: 'Identity', input: [value], output: [as], name: `${as}_identity` });
    return as;
  }

  input(name: string, elemType: number, dims: Array<number | string>): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Array<number | string>): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** The serialised model (opset 17, IR 8; version 1 of any contrib domain used). */
  serialize(metadata: Record<string, string> = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 17 },
        ...[...this.#domains].map((domain) => ({ domain, version: 1 })),
      ],
      producerName: 'svdecode',
      producerVersion: '0.1.0',
      graph: {
        name: 'decoder',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string')
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

function valueInfo(
  name: string,
  elemType: number,
  dims: Array<number | string>,
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Moves the weights out of a serialised model into one external data file (the ONNX external-data
 * layout onnx-community models use past 2 GB: `location`, `offset`, `length` per tensor, offsets
 * aligned to 64 bytes). Initializers under 1 KiB stay inside, as the ONNX tools keep them: shape
 * constants must be readable when the graph is loaded. Returns the model and the data file.
 */
export function externalizeInitializers(
  model: Uint8Array,
  location: string,
): { model: Uint8Array; data: Uint8Array } {
  const decoded = onnx.ModelProto.decode(model);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of decoded.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length < 1024) continue;
    const pad = (64 - (offset % 64)) % 64;
    if (pad > 0) chunks.push(new Uint8Array(pad));
    offset += pad;
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    chunks.push(raw);
    offset += raw.length;
    tensor.rawData = new Uint8Array(0);
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return { model: onnx.ModelProto.encode(decoded).finish(), data };
}
