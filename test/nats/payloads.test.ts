/**
 * What a plain NATS client may put on a public subject: a payload that is
 * not JSON reaches the receiver as its raw text (for its schema to refuse
 * and report), and one above the server's max_payload is refused at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Message } from '../../bus/bus.ts';
import { createNatsTransport } from '../../bus/nats/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import type { Job } from '../../bus/work-queue.ts';
import { NatsServer } from '../support/nats-server.ts';
import { eventually } from '../support/eventually.ts';

const until = (check: () => boolean, what: string) => eventually(check, what, 5_000, 10);

describe('payloads from outside', () => {
  let server: NatsServer;
  let transport: Transport;
  beforeAll(async () => {
    server = await NatsServer.start();
    transport = await createNatsTransport({ servers: server.url });
  });
  afterAll(async () => {
    await transport?.close();
    await server?.dispose();
  });

  it('hands a non-JSON message and job over as raw text', async () => {
    const messages: Message[] = [];
    transport.bus.subscribe('raw.bus', (message) => void messages.push(message));
    await transport.queues.declare('raw.jobs');
    const jobs: Job[] = [];
    await transport.queues.consume('raw.jobs', async (job) => {
      jobs.push(job);
      await job.term();
    }, { concurrency: 1, durable: 'raw' });

    const plain = await connect({ servers: server.url });
    try {
      plain.publish('raw.bus', '{"task_objective": ');
      await jetstream(plain).publish('raw.jobs', 'not json at all');
      await until(() => messages.length === 1 && jobs.length === 1, 'the raw message and job');
    } finally {
      await plain.close();
    }
    expect(messages[0]?.data).toBe('{"task_objective": ');
    expect(jobs[0]?.payload).toBe('not json at all');
    // Published without a Nats-Msg-Id: the job is named after its stream sequence.
    expect(jobs[0]?.id).toBe('raw_jobs:1');
  });

  it('refuses a payload above max_payload on the bus and on a queue', async () => {
    const huge = { blob: 'x'.repeat(2 * 1024 * 1024) };
    await expect(transport.bus.publish('raw.huge', huge)).rejects.toThrow(/max_payload|payload/i);
    await transport.queues.declare('raw.huge-jobs');
    await expect(transport.queues.enqueue('raw.huge-jobs', 'huge-1', huge)).rejects.toThrow(/max_payload|payload/i);
  });
});
