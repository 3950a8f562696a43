/**
 * The bridge server: the EA (or the simulated terminal) connects here over WebSocket on 127.0.0.1.
 *
 *  - HELLO first, within `helloTimeoutMs`, with the token (constant-time check) and a supported version;
 *    otherwise REJECT with a reason and close. Nothing beyond PRE_HELLO_MAX_BYTES is read before that.
 *    Browsers (any Origin header) are refused at the upgrade.
 *  - One session per terminal (account login @ server): a new HELLO for the same terminal replaces the old
 *    connection (a half-open socket cannot block a reconnect). Many terminals at once.
 *  - PING both ways every `heartbeatMs`; a session silent for `deadAfterMs` is dropped.
 *  - A malformed frame gets an ERROR reply and a log line (rate-limited); the session lives on unless it keeps
 *    doing it.
 * A session's inbound queue and requests are in session.ts, the account mirror in terminal-link.ts, intents in
 * src/host/execution (router, re-ask, reconciliation).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES, MIN_PROTOCOL_VERSION, MsgType, PROTOCOL_VERSION, TYPE_NAME, type AnyMsg, type Body, type MsgTypeName, type Timeframe } from '../../protocol/messages.js';
import { ProtocolError, SeqChecker, SeqCounter, decodeMessage, encodeMessage } from '../../protocol/codec.js';
import { MemoryLedger, type IntentLedger } from '../state/ledger.js';
import { silentLogger, type Logger } from '../logger.js';
import { tokenMatches } from '../state/token.js';
import { Session } from './session.js';
import { Terminal } from './terminal-link.js';

export { RequestError } from './request-error.js';
export { Session } from './session.js';
export { Terminal } from './terminal-link.js';

export const DEFAULT_BRIDGE_PORT = 17551;

export interface BridgeOptions {
  token: string;
  host?: string;
  port?: number;
  /** Binding to anything but loopback must be asked for explicitly. */
  allowRemote?: boolean;
  logger?: Logger;
  heartbeatMs?: number;
  deadAfterMs?: number;
  helloTimeoutMs?: number;
  requestTimeoutMs?: number;
  intentTimeoutMs?: number;
  /**
   * An intent sent on a live session without a result after this long is looked for on the terminal and settled,
   * or sent again under its id (default min(3000, intentTimeoutMs / 4); 0 turns it off). See execution/reask.ts.
   */
  reaskMs?: number;
  maxFrame?: number;
  ledger?: IntentLedger;
  /** The ledger of the terminal of account `key` (login@server): one per account (src/host/trading/accounts.ts); default `ledger` for every terminal. */
  ledgerFor?: (key: string) => IntentLedger;
  /** Malformed frames tolerated per 10 s before the session is closed. */
  maxErrors?: number;
  /** Ticks and bars to ask every terminal for (can be changed per terminal with `subscribe`). */
  symbols?: string[];
  bars?: [string, Timeframe][];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/**
 * The largest frame read from a connection that has not completed HELLO. A HELLO is a few hundred bytes; an
 * unauthenticated peer gets no more than this decoded (a 4 MiB frame of nils or empty maps would otherwise
 * block the event loop for seconds or exhaust memory before the token is even looked at).
 */
export const PRE_HELLO_MAX_BYTES = 16 * 1024;

const CLOSE = { REPLACED: 4000, BAD_TOKEN: 4001, VERSION: 4002, BAD_HELLO: 4003, ABUSE: 1008, SHUTDOWN: 1001 } as const;

/** A raw connection before (and under) a session. */
interface Connection {
  id: string;
  ws: WebSocket;
  out: SeqCounter;
  inSeq: SeqChecker;
  session: Session | undefined;
  errors: number[];
  remote: string;
}

export class BridgeServer extends EventEmitter {
  readonly opts: Required<Omit<BridgeOptions, 'ledger' | 'ledgerFor' | 'logger' | 'allowRemote' | 'symbols' | 'bars'>> & { symbols: string[]; bars: [string, Timeframe][] };
  readonly ledger: IntentLedger;
  /** The ledger a terminal of account `key` records its intents in. */
  readonly ledgerFor: (key: string) => IntentLedger;
  readonly log: Logger;
  readonly terminals = new Map<string, Terminal>();
  private wss: WebSocketServer | undefined;
  private readonly conns = new Set<Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private connCounter = 0;
  port = 0;
  /** Lines about misbehaving peers (malformed frames, refused or unauthenticated connections) in this window. */
  private noise = { windowStart: -Infinity, lines: 0, suppressed: 0 };
  /** At most this many such lines per 10 s; the rest are counted and reported in one line (no log flood). */
  static readonly NOISE_LINES_PER_10S = 30;

  constructor(opts: BridgeOptions) {
    super();
    const host = opts.host ?? '127.0.0.1';
    if (!LOOPBACK.has(host) && !opts.allowRemote) {
      throw new Error(`refusing to bind the bridge to ${host}: it accepts order intents, so it listens on 127.0.0.1 unless allowRemote is set explicitly`);
    }
    if (!opts.token || opts.token.length < 16) throw new Error('bridge token must be at least 16 characters');
    const heartbeatMs = opts.heartbeatMs ?? 5000;
    const intentTimeoutMs = opts.intentTimeoutMs ?? 15_000;
    this.opts = {
      token: opts.token,
      host,
      port: opts.port ?? DEFAULT_BRIDGE_PORT,
      heartbeatMs,
      deadAfterMs: opts.deadAfterMs ?? heartbeatMs * 3,
      helloTimeoutMs: opts.helloTimeoutMs ?? 5000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      intentTimeoutMs,
      reaskMs: opts.reaskMs ?? Math.min(3000, Math.floor(intentTimeoutMs / 4)),
      maxFrame: opts.maxFrame ?? MAX_FRAME_BYTES,
      maxErrors: opts.maxErrors ?? 20,
      symbols: opts.symbols ?? [],
      bars: opts.bars ?? [],
    };
    this.ledger = opts.ledger ?? new MemoryLedger();
    this.ledgerFor = opts.ledgerFor ?? (() => this.ledger);
    this.log = opts.logger ?? silentLogger;
  }

  async start(): Promise<number> {
    const wss = new WebSocketServer({
      host: this.opts.host,
      port: this.opts.port,
      maxPayload: this.opts.maxFrame,
      perMessageDeflate: false,
      clientTracking: false,
      verifyClient: (info: { origin: string; req: IncomingMessage }, cb: (ok: boolean, code?: number, msg?: string) => void) => {
        // a web page could otherwise reach 127.0.0.1 from the trader's browser
        if (info.req.headers.origin) {
          this.log.warn({ origin: info.req.headers.origin }, 'refused a browser connection to the bridge');
          cb(false, 403, 'Forbidden');
          return;
        }
        cb(true);
      },
    });
    this.wss = wss;
    wss.on('connection', (ws, req) => this.onConnection(ws, req));
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    wss.on('error', (e) => this.log.error({ err: e.message }, 'bridge server error'));
    const addr = wss.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.heartbeat = setInterval(() => this.beat(), Math.max(50, Math.floor(this.opts.heartbeatMs / 2)));
    this.heartbeat.unref();
    this.log.info({ host: this.opts.host, port: this.port, protocol: PROTOCOL_VERSION }, 'bridge listening');
    return this.port;
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.conns) {
      if (c.session) this.sendTo(c, 'REJECT', { code: 'SHUTDOWN', message: 'the host is shutting down' });
      c.ws.close(CLOSE.SHUTDOWN, 'host shutting down');
    }
    for (const t of this.terminals.values()) t.failAll('the host is shutting down');
    const wss = this.wss;
    this.wss = undefined;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
    // sockets that did not finish the close handshake in time
    for (const c of this.conns) c.ws.terminate();
    this.conns.clear();
  }

  /** The terminal for an account key `login@server`, created on first use (so intents can wait for it). */
  terminal(key: string): Terminal {
    let t = this.terminals.get(key);
    if (!t) {
      const { intentTimeoutMs, reaskMs } = this.opts;
      t = new Terminal(key, { ledger: this.ledgerFor(key), log: this.log, intentTimeoutMs, reaskMs }, this.opts.symbols, this.opts.bars);
      this.terminals.set(key, t);
    }
    return t;
  }

  sessions(): Session[] {
    return [...this.conns].flatMap((c) => (c.session && !c.session.closed ? [c.session] : []));
  }

  private sendTo<N extends MsgTypeName>(c: Connection, name: N, body: Body<N>): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(encodeMessage(name, c.out.next(), body));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const c: Connection = {
      id: `s${++this.connCounter}`, ws, out: new SeqCounter(), inSeq: new SeqChecker(), session: undefined, errors: [],
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
    };
    this.conns.add(c);
    this.warnLimited(c, { conn: c.id, remote: c.remote }, 'terminal connecting', 'info');
    // until HELLO, the socket itself takes no frame above PRE_HELLO_MAX_BYTES: ws closes it (1009) on the frame's
    // header, before buffering the payload (ws 8 reads this per-receiver limit; the length check below stays as
    // the guard should it ever not)
    const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
    if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = PRE_HELLO_MAX_BYTES;
    const helloTimer = setTimeout(() => {
      if (!c.session) {
        this.warnLimited(c, { conn: c.id }, 'no HELLO in time: closing');
        this.sendTo(c, 'REJECT', { code: 'BAD_HELLO', message: `send HELLO within ${this.opts.helloTimeoutMs} ms of connecting` });
        ws.close(CLOSE.BAD_HELLO, 'no HELLO');
      }
    }, this.opts.helloTimeoutMs);
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (!isBinary) {
        this.malformed(c, new ProtocolError('MALFORMED', 'text frame: the bridge speaks MessagePack in binary frames'));
        return;
      }
      if (!c.session && buf.length > PRE_HELLO_MAX_BYTES) {
        // not decoded at all: the peer has not shown the token yet
        clearTimeout(helloTimer);
        this.warnLimited(c, { conn: c.id, bytes: buf.length }, 'first frame too large for a HELLO: closing');
        this.sendTo(c, 'REJECT', { code: 'BAD_HELLO', message: `the first frame must be a HELLO of at most ${PRE_HELLO_MAX_BYTES} bytes, got ${buf.length} bytes` });
        ws.close(CLOSE.BAD_HELLO, 'first frame too large');
        return;
      }
      let msg: AnyMsg;
      try {
        msg = decodeMessage(buf, this.opts.maxFrame);
      } catch (e) {
        if (c.session) c.session.lastSeen = performance.now();
        if (!c.session) {
          // a first frame we cannot read (a HELLO with a bad field, or not a HELLO at all): say what is wrong and
          // close — an unauthenticated peer gets no second try on this connection
          clearTimeout(helloTimer);
          const why = e instanceof Error ? e.message : String(e);
          this.warnLimited(c, { conn: c.id, err: why }, 'unreadable first frame: closing');
          this.sendTo(c, 'REJECT', { code: 'BAD_HELLO', message: e instanceof ProtocolError && e.msgType === MsgType.HELLO ? why : `the first message must be a valid HELLO: ${why}` });
          ws.close(CLOSE.BAD_HELLO, 'bad HELLO');
          return;
        }
        this.malformed(c, e instanceof ProtocolError ? e : new ProtocolError('MALFORMED', String(e)));
        return;
      }
      if (c.session) {
        c.session.accept(msg);
        return;
      }
      clearTimeout(helloTimer);
      this.onHello(c, msg);
    });
    ws.on('error', (e) => this.warnLimited(c, { conn: c.id, err: e.message }, 'bridge socket error'));
    ws.on('close', (code, reason) => {
      clearTimeout(helloTimer);
      this.conns.delete(c);
      const s = c.session;
      const line = { conn: c.id, terminal: s?.terminal.key, code, reason: reason.toString() };
      const text = code === 1009 ? 'frame over the size limit: connection closed' : 'terminal disconnected';
      if (s) this.log.info(line, text);
      else this.warnLimited(c, line, text, 'info');
      s?.closedNow();
    });
  }

  /**
   * A warning about a peer's misbehaviour, rate-limited across all connections: a flood of bad frames or
   * connections writes at most NOISE_LINES_PER_10S lines per 10 s, then one line with the number suppressed.
   */
  private warnLimited(_c: Connection | undefined, obj: Record<string, unknown>, msg: string, level: 'warn' | 'info' = 'warn'): void {
    const now = performance.now();
    const n = this.noise;
    if (now - n.windowStart >= 10_000) {
      if (n.suppressed) this.log.warn({ suppressed: n.suppressed }, `${n.suppressed} warning(s) about misbehaving bridge connections suppressed in the last 10 s`);
      n.windowStart = now;
      n.lines = 0;
      n.suppressed = 0;
    }
    if (n.lines >= BridgeServer.NOISE_LINES_PER_10S) {
      n.suppressed++;
      return;
    }
    n.lines++;
    this.log[level](obj, msg);
  }

  private malformed(c: Connection, e: ProtocolError): void {
    const now = performance.now();
    c.errors = c.errors.filter((t) => now - t < 10_000);
    c.errors.push(now);
    this.warnLimited(c, { conn: c.id, terminal: c.session?.terminal.key, code: e.code, err: e.message }, 'malformed frame');
    const reply: Body<'ERROR'> = { code: e.code, message: e.message };
    if (e.requestId !== undefined) reply.re = e.requestId;
    this.sendTo(c, 'ERROR', reply);
    if (c.errors.length > this.opts.maxErrors) {
      this.warnLimited(c, { conn: c.id }, `more than ${this.opts.maxErrors} malformed frames in 10 s: closing`);
      c.ws.close(CLOSE.ABUSE, 'too many malformed frames');
    }
  }

  private onHello(c: Connection, msg: AnyMsg): void {
    const reject = (code: 'BAD_TOKEN' | 'VERSION' | 'BAD_HELLO', message: string, closeCode: number) => {
      this.warnLimited(c, { conn: c.id, code }, `terminal rejected: ${message}`);
      this.sendTo(c, 'REJECT', { code, message });
      c.ws.close(closeCode, code);
    };
    if (msg.type !== MsgType.HELLO) {
      reject('BAD_HELLO', `the first message must be HELLO, got ${TYPE_NAME[msg.type]}`, CLOSE.BAD_HELLO);
      return;
    }
    c.inSeq.check(msg.seq);
    if (!tokenMatches(msg.token, this.opts.token)) {
      reject('BAD_TOKEN', 'wrong bridge token: copy the token the host printed (or `mt5-executor token`) into the EA input "Token"', CLOSE.BAD_TOKEN);
      return;
    }
    if (msg.protocol < MIN_PROTOCOL_VERSION || msg.protocol > PROTOCOL_VERSION) {
      reject('VERSION', `protocol version ${msg.protocol} is not supported: this host speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}; install the EA that ships with this host`, CLOSE.VERSION);
      return;
    }
    const key = `${msg.account.login}@${msg.account.server}`;
    const terminal = this.terminal(key);
    const old = terminal.session;
    if (old) {
      this.log.warn({ terminal: key }, 'terminal reconnected while its old session was open: replacing it');
      old.send('REJECT', { code: 'REPLACED', message: 'a newer connection for this account replaced this one' });
      old.ws.close(CLOSE.REPLACED, 'replaced');
      old.closedNow();
    }
    const session = new Session(c.ws, msg, terminal, { log: this.log, requestTimeoutMs: this.opts.requestTimeoutMs }, c);
    c.session = session;
    const rx = (c.ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
    if (rx && typeof rx._maxPayload === 'number') rx._maxPayload = this.opts.maxFrame;
    session.send('WELCOME', {
      protocol: PROTOCOL_VERSION, sessionId: c.id, heartbeatMs: this.opts.heartbeatMs, maxFrame: this.opts.maxFrame,
      symbols: terminal.symbols, bars: terminal.bars,
    });
    this.log.info(
      { conn: c.id, terminal: key, build: msg.terminal.build, ea: msg.ea, hedging: msg.account.marginMode === 2, currency: msg.account.currency },
      'terminal connected',
    );
    if (terminal.hello === undefined) this.emit('terminal', terminal); // first connection: listeners subscribe now
    terminal.attach(session).catch((e) => this.log.error({ terminal: key, err: (e as Error).message }, 'attach failed'));
    this.emit('session', session);
  }

  private beat(): void {
    const now = performance.now();
    for (const c of this.conns) {
      const s = c.session;
      if (!s) continue;
      if (now - s.lastSeen > this.opts.deadAfterMs) {
        this.log.warn({ terminal: s.terminal.key, silentMs: Math.round(now - s.lastSeen) }, 'terminal silent too long: dropping the session');
        c.ws.terminate();
        s.closedNow();
        continue;
      }
      s.send('PING', { ts: Math.round(now) });
    }
  }
}
