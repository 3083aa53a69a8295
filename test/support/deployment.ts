/**
 * One pyexec deployment under test: a nats-server (or cluster), a site, the
 * `pyexec` processes started on it and the connections opened to it.
 * stop() ends them all, in the reverse order: connections, processes,
 * server, site.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createNatsTransport, type NatsTransportOptions } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { PyexecClient } from '../../client/client.ts';
import { protocolErrorSchema, type ProtocolError } from '../../protocol/public.ts';
import { subjects } from '../../protocol/subjects.ts';
import { PyexecProcess, Site } from './pyexec-site.ts';

interface Nats {
  dispose(): Promise<void>;
}

export interface Connection {
  transport: Transport;
  client: PyexecClient;
}

export class Deployment {
  readonly processes: PyexecProcess[] = [];
  private readonly transports: Transport[] = [];
  private readonly rawConnections: NatsConnection[] = [];

  /** `servers`: where clients connect (the server's url, or every url of a cluster). */
  constructor(
    private readonly nats: Nats,
    readonly servers: string | string[],
    readonly site: Site = new Site(),
  ) {}

  /** `pyexec ARGS` on the site; ready once it said so. */
  async start(name: string, args: string[], env: Record<string, string> = {}): Promise<PyexecProcess> {
    const started = await PyexecProcess.start(name, this.site, args, env);
    this.processes.push(started);
    return started;
  }

  /** A client on its own transport, as a caller would have it. */
  async connect(name: string, options: Omit<NatsTransportOptions, 'servers' | 'name'> = {}): Promise<Connection> {
    const transport = await createNatsTransport({ servers: this.servers, name, ...options });
    this.transports.push(transport);
    return { transport, client: new PyexecClient(transport, name) };
  }

  /** A plain NATS connection, as any program could open one: for messages the client would never send. */
  async raw(): Promise<NatsConnection> {
    const connection = await connect({ servers: this.servers });
    this.rawConnections.push(connection);
    return connection;
  }

  async stop(): Promise<void> {
    for (const connection of this.rawConnections) await connection.close();
    for (const transport of this.transports) await transport.close();
    for (const process of this.processes) await process.kill();
    await this.nats.dispose();
    this.site.dispose();
  }
}

/** The protocol errors published from now on, in the order they arrive, as a plain connection hears them. */
export async function protocolErrorsOn(raw: NatsConnection): Promise<ProtocolError[]> {
  const errors: ProtocolError[] = [];
  raw.subscribe(subjects.errors, { callback: (_error, message) => void errors.push(protocolErrorSchema.parse(message.json())) });
  await raw.flush();
  return errors;
}
