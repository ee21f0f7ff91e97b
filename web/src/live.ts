// Live updates: GET /v1/events read with fetch (EventSource cannot send the Authorization header,
// and the token must stay out of URLs). Ticks carry nothing but a sequence number: the page then
// refetches through the disclosure-filtered endpoints.
import { authHeader } from './api';

export function follow(onChange: () => void, onState: (s: string) => void): () => void {
  let stopped = false;
  let ctrl: AbortController | null = null;
  const run = async () => {
    let delay = 1000;
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const r = await fetch('/v1/events', { headers: authHeader(), signal: ctrl.signal, cache: 'no-store' });
        if (!r.ok || !r.body) throw new Error(`events: HTTP ${r.status}`);
        onState('live');
        delay = 1000;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        let first = true;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const name = /^event: (.*)$/m.exec(frame)?.[1];
            // A reconnection's `ready` may follow missed changes: refetch then too.
            if (name === 'changed' || (name === 'ready' && !first)) onChange();
            if (name === 'ready') first = false;
          }
        }
      } catch {
        if (stopped) return;
      }
      onState('reconnecting');
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  void run();
  return () => {
    stopped = true;
    ctrl?.abort();
  };
}
