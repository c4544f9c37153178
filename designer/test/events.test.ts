import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchRun, type LiveMode } from '../src/api/events';
import type { RunView } from '../src/api/types';

const finishedRun = { run: { runId: 'run-1', status: 'Completed' }, nodes: [], journal: [], approvals: [], inputs: {} } as unknown as RunView;
const stream = (text: string) => new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(text)); c.close(); } }), { status: 200 });

afterEach(() => vi.unstubAllGlobals());

describe('following a run', () => {
  it('reads the snapshot and events from the stream and stops after run.ended', async () => {
    const fetch = vi.fn(async (url: string, _init?: RequestInit) => url.endsWith('/events')
      ? stream('event: snapshot\ndata: {"run":{"runId":"run-1","status":"Running"},"nodes":[],"journal":[],"approvals":[],"inputs":{}}\n\n'
        + ': heartbeat\n\nid: 5\nevent: run.ended\ndata: {"sequence":5,"runId":"run-1","kind":"run.ended","status":"Completed","atUtc":"t"}\n\n')
      : new Response(JSON.stringify(finishedRun), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const modes: LiveMode[] = [], kinds: string[] = [];
    let snapshots = 0;
    await new Promise<void>(done => watchRun('run-1', {
      onSnapshot: () => { snapshots++; }, onEvent: e => kinds.push(e.kind), onMode: m => { modes.push(m); if (m === 'ended') setTimeout(done, 50); },
    }, r => r.run.status === 'Completed'));
    expect(kinds).toEqual(['run.ended']);
    expect(modes).toEqual(['live', 'ended']);
    expect(snapshots).toBe(2);
    expect(fetch.mock.calls[0][1]?.headers).toMatchObject({ Accept: 'text/event-stream' });
  });

  it('reconnects when the stream fails, then falls back to polling the run', async () => {
    const fetch = vi.fn(async (url: string) => {
      if (url.endsWith('/events')) throw new TypeError('network down');
      return new Response(JSON.stringify(finishedRun), { status: 200 });
    });
    vi.stubGlobal('fetch', fetch);
    const modes: LiveMode[] = [];
    let polled: RunView | undefined;
    await new Promise<void>(done => watchRun('run-1', {
      onSnapshot: r => { polled = r; }, onEvent: () => undefined, onMode: m => { modes.push(m); if (m === 'ended') done(); },
    }, r => r.run.status === 'Completed'));
    expect(modes).toEqual(['reconnecting', 'reconnecting', 'polling', 'ended']);
    expect(fetch.mock.calls.filter(([u]) => String(u).endsWith('/events'))).toHaveLength(3);
    expect(polled?.run.status).toBe('Completed');
  });
});
