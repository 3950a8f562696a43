/**
 * FIXTURE (not the platform): the web platform's REST contract as docs/platform.md describes it, small enough for
 * the fault tests. It hands commands out in heartbeats and, like a platform that has not heard a final status,
 * hands a command out again until it has; it records every status PATCHed to it. Pusher is pointed at a port
 * where nothing listens, so commands arrive by heartbeat only. `stop()` takes it off the network entirely
 * (connections refused), `start(port)` brings it back on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../helpers.js';

export const FIXTURE_KEY = 'exec-key-fault';
export const FIXTURE_SECRET = 'sk_live_Fq9vXw7LmN4pR8tZy1aB6cD2eH';

export interface Status {
  commandId: string;
  status: string;
  result?: unknown;
  error?: string;
  code?: string;
}

export class PlatformFixture {
  private server: Server | undefined;
  port = 0;
  /** Commands handed out at each heartbeat until a final status arrives. */
  commands: { id: string; type: string; parameters: Record<string, unknown> }[] = [];
  statuses: Status[] = [];
  /** When each command's final status arrived (performance.now()). */
  finalAt = new Map<string, number>();
  heartbeats = 0;
  /** Go off the network right after answering the next heartbeat (the commands in it are on their way). */
  downAfterHeartbeat = false;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.port = port || (await freePort());
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections();
    await closed;
  }

  final(id: string): Status | undefined {
    return this.statuses.find((s) => s.commandId === id && (s.status === 'executed' || s.status === 'failed'));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (code: number, v: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.headers['x-api-key'] !== FIXTURE_KEY || req.headers['x-api-secret'] !== FIXTURE_SECRET) return json(401, { error: 'unauthorized' });
    let body = '';
    for await (const c of req) body += c;
    if (req.method === 'GET' && req.url === '/api/executor/config') {
      return json(200, { executorId: 'fx1', pusher: { key: 'nokey', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: 9, forceTLS: false }, heartbeatSeconds: 5 });
    }
    if (req.method === 'POST' && req.url === '/api/executor/fx1/heartbeat') {
      this.heartbeats++;
      if (this.downAfterHeartbeat) {
        this.downAfterHeartbeat = false;
        res.on('finish', () => void this.stop());
      }
      return json(200, { pendingCommands: this.commands.filter((c) => !this.final(c.id)) });
    }
    if (req.method === 'GET' && req.url === '/api/executor/fx1/active-strategies') return json(404, { error: 'not found' });
    if (req.method === 'PATCH' && req.url === '/api/executor/fx1/command') {
      const s = JSON.parse(body) as Status;
      this.statuses.push(s);
      if ((s.status === 'executed' || s.status === 'failed') && !this.finalAt.has(s.commandId)) this.finalAt.set(s.commandId, performance.now());
      return json(200, { ok: true });
    }
    json(404, { error: 'not found' });
  }
}
