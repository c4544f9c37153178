import { api, authHeaders } from './client';
import type { RunEvent, RunView } from './types';

export interface SseFrame { event: string; id?: string; data: string }

/** Splits a text/event-stream into frames; returns the frames and the unfinished rest. Comments (heartbeats) are dropped. */
export function parseFrames(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const frame: SseFrame = { event: 'message', data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') frame.event = value;
      else if (field === 'id') frame.id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) { frame.data = data.join('\n'); frames.push(frame); }
  }
  return { frames, rest };
}

export type LiveMode = 'live' | 'reconnecting' | 'polling' | 'ended';

export interface RunWatch {
  onSnapshot(run: RunView): void;
  onEvent(e: RunEvent): void;
  onMode(mode: LiveMode): void;
}

/**
 * Follows a run: the SSE stream (read with fetch, because EventSource cannot send the API key in a header and the
 * key must never be in a URL), reconnecting with a fresh snapshot after a drop; after repeated failures it polls
 * GET /api/runs/{id} every 2 s, and keeps trying the stream in between.
 */
export function watchRun(runId: string, watch: RunWatch, finished: (run: RunView) => boolean): () => void {
  let stopped = false;
  let failures = 0;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async () => {
    try {
      const run = await api<RunView>(`/api/runs/${encodeURIComponent(runId)}`);
      watch.onSnapshot(run);
      if (finished(run)) { watch.onMode('ended'); return true; }
    } catch { /* the next round tries again */ }
    return false;
  };

  const connect = async () => {
    if (stopped) return;
    controller = new AbortController();
    let ended = false;
    try {
      const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: { Accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      watch.onMode('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const { frames, rest } = parseFrames(buffer + value);
        buffer = rest;
        for (const f of frames) {
          failures = 0;
          const data = JSON.parse(f.data);
          if (f.event === 'snapshot') { watch.onSnapshot(data as RunView); if (finished(data)) ended = true; }
          else { watch.onEvent(data as RunEvent); if (f.event === 'run.ended') ended = true; }
        }
      }
    } catch {
      if (stopped) return;
      failures++;
    }
    if (stopped) return;
    // One last read: the stream's last event carries less than the run's final snapshot.
    if (ended) { if (!(await poll())) watch.onMode('ended'); return; }
    // A stream that ends without run.ended (server restart, proxy) or fails: reconnect, polling meanwhile.
    if (failures >= 3) {
      watch.onMode('polling');
      if (await poll()) return;
      timer = setTimeout(connect, 2000);
    } else {
      watch.onMode('reconnecting');
      timer = setTimeout(connect, 500 * failures + 200);
    }
  };

  void connect();
  return () => { stopped = true; controller?.abort(); if (timer) clearTimeout(timer); };
}
