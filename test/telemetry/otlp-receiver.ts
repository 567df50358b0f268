/** An OTLP/HTTP receiver for tests (not a test file): a plain node:http server keeping the JSON bodies the exporter posts. */
import { createServer, type Server } from 'node:http';

export interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  events?: { name: string; attributes?: OtlpAttribute[] }[];
  status?: { code?: number; message?: string };
}

export interface OtlpReceiver {
  readonly url: string;
  /** Every request body received, as text (for "nothing leaked" checks). */
  readonly bodies: string[];
  /** Every span received so far. */
  spans(): OtlpSpan[];
  /** The service.name of the resources received. */
  serviceNames(): string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: string[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(req.url ?? '');
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const parsed = () => bodies.map((b) => JSON.parse(b) as {
    resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
  });
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans: () => parsed().flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    serviceNames: () => parsed().flatMap((b) => b.resourceSpans.map((r) => String(attr(r.resource?.attributes, 'service.name')))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An attribute's value (ints as numbers). */
export function attr(attributes: OtlpAttribute[] | undefined, key: string): string | number | boolean | undefined {
  const v = attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.doubleValue ?? v.boolValue;
}
