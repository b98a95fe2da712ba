// The syslog source: a TCP (optionally TLS) or UDP listener that turns syslog messages into
// entries with Promtail's `__syslog_*` labels, relabels them with the job's relabel_configs and
// hands them to the job's pipeline. Bad input is counted and logged (rate-limited), never fatal;
// memory is bounded per connection by max_message_length and overall by the in-flight budget,
// which pauses every connection while it is full.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from '../../log.js';
import { BudgetDelivery, type InFlightBudget } from '../../positions/acks.js';
import { relabel } from '../../relabel/relabel.js';
import { type Entry, type LabelSet, nowNanos } from '../../types.js';
import type { SourceContext, SourceStatus } from '../source.js';
import type { SyslogConfig } from './config.js';
import { splitHostPort } from './config.js';
import { type FrameSink, SyslogFramer } from './framing.js';
import { HostnameCache, lookupAddr, plainIp } from './hostname.js';
import { facilityLevel, type ParseResult, type SyslogMessage, severityLevel } from './message.js';
import { type SyslogMetrics, syslogMetrics } from './metrics.js';
import { parseRfc3164 } from './rfc3164.js';
import { formatRfc5424, parseRfc5424 } from './rfc5424.js';

/** At most `burst` warnings per `windowMs`; the rest are counted and summed up in the next one. */
class RateLimitedWarn {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;
  constructor(
    private readonly logger: Logger,
    private readonly burst = 5,
    private readonly windowMs = 10_000,
  ) {}

  warn(msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0)
        this.logger.warn('syslog: similar messages suppressed', { suppressed: this.suppressed });
      this.windowStart = now;
      this.inWindow = 0;
      this.suppressed = 0;
    }
    if (this.inWindow++ < this.burst) this.logger.warn(msg, fields);
    else this.suppressed++;
  }
}

/** What every message of one connection (or UDP sender) shares. */
interface Peer {
  ip: string;
  hostname: string;
  remote: string;
}

/** Per connection: label key of a message → its labels after relabeling (null: dropped). */
type LabelCache = Map<string, LabelSet | null>;
const labelCacheSize = 1024;
/** How long a complete newline-framed message waits for continuation lines. */
const holdMs = 250;

type Parser = (buf: Buffer, start: number, end: number) => ParseResult;

export class SyslogTarget {
  private readonly metrics: SyslogMetrics;
  private readonly logger: Logger;
  private readonly warnings: RateLimitedWarn;
  private readonly parse: Parser;
  /** The job's labels without `__` ones: every entry's labels when there are no relabel rules. */
  private readonly staticLabels: LabelSet;
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private readonly sockets = new Set<Socket>();
  /** Every TCP connection, TLS handshakes included, so that stop() can close them all. */
  private readonly connections = new Set<Socket>();
  private readonly hostnames = new HostnameCache();
  private bound: AddressInfo | undefined;
  private stopped = false;
  private pausedForBudget = false;
  // Counted locally and added to the prom-client counters once per read.
  private entries = 0;
  private errors = 0;
  private empty = 0;
  private totalEntries = 0;
  private totalErrors = 0;
  private connectionsTotal = 0;

  constructor(
    private readonly config: SyslogConfig,
    private readonly ctx: SourceContext,
    private readonly budget?: InFlightBudget,
  ) {
    this.metrics = syslogMetrics(ctx.metrics.registry);
    this.logger = ctx.logger.with({ component: 'syslog_target', job: ctx.jobName });
    this.warnings = new RateLimitedWarn(this.logger);
    this.parse = config.syslogFormat === 'rfc3164' ? (b, s, e) => parseRfc3164(b, s, e) : parseRfc5424;
    const labels: LabelSet = {};
    for (const [k, v] of Object.entries(config.labels)) if (!k.startsWith('__')) labels[k] = v;
    this.staticLabels = labels;
  }

  /** The address actually listened on (the port chosen when the config says 0). */
  address(): { host: string; port: number } {
    if (!this.bound) throw new Error(`syslog target ${this.ctx.jobName}: not listening`);
    return { host: this.bound.address, port: this.bound.port };
  }

  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.config.listenAddress);
    if (this.config.listenProtocol === 'udp') {
      await this.startUdp(host, port);
    } else {
      await this.startTcp(host, port);
    }
    this.logger.info('syslog listening on address', {
      address: `${this.bound!.address}:${this.bound!.port}`,
      protocol: this.config.listenProtocol,
      tls: this.config.listenProtocol === 'tcp' && this.config.tls !== undefined,
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.connections) s.destroy();
    this.connections.clear();
    this.sockets.clear();
    if (this.server) {
      const server = this.server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.udp) {
      const udp = this.udp;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
    this.flushCounts();
  }

  status(): SourceStatus {
    const details: Record<string, string | number> = {
      listen_address: this.config.listenAddress,
      listen_protocol: this.config.listenProtocol,
      syslog_format: this.config.syslogFormat,
      entries: this.totalEntries + this.entries,
      parsing_errors: this.totalErrors + this.errors,
    };
    if (this.bound) details.bound_address = `${this.bound.address}:${this.bound.port}`;
    if (this.bound) details.port = this.bound.port;
    if (this.config.listenProtocol === 'tcp') {
      details.tls = this.config.tls ? (this.config.tls.caFile ? 'mutual' : 'server') : 'off';
      details.open_connections = this.sockets.size;
      details.connections_total = this.connectionsTotal;
    }
    return {
      job: this.ctx.jobName,
      kind: 'syslog',
      ready: this.bound !== undefined && !this.stopped,
      labels: { ...this.config.labels },
      details,
    };
  }

  // --- TCP / TLS ---

  private async startTcp(host: string, port: number): Promise<void> {
    const tls = this.config.tls;
    let server: Server;
    if (tls) {
      let tlsServer: ReturnType<typeof createTlsServer>;
      try {
        const options = {
          cert: readFileSync(tls.certFile),
          key: readFileSync(tls.keyFile),
          handshakeTimeout: this.config.idleTimeoutMs,
          ...(tls.caFile
            ? { ca: readFileSync(tls.caFile), requestCert: true, rejectUnauthorized: true }
            : {}),
        };
        tlsServer = createTlsServer(options, (socket) => this.accept(socket));
      } catch (err) {
        throw new Error(
          `error setting up syslog target ${this.ctx.jobName}: unable to load TLS certificate, key or client CA: ${(err as Error).message}`,
        );
      }
      tlsServer.on('tlsClientError', (err) =>
        this.logger.debug('syslog TLS handshake failed', { err: err.message }),
      );
      server = tlsServer;
    } else {
      server = createTcpServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    }
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new Error(`error setting up syslog target ${this.ctx.jobName}: ${err.message}`));
      server.once('error', onError);
      server.listen({ host: host || undefined, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error('syslog listener failed', { err: err.message }));
    this.bound = server.address() as AddressInfo;
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    socket.pause();
    this.connectionsTotal++;
    this.sockets.add(socket);
    socket.on('error', (err) => this.logger.debug('syslog connection error', { err: err.message }));
    socket.once('close', () => this.sockets.delete(socket));
    // Promtail's idle timeout: a connection that sends nothing for this long is closed, unless
    // it is only quiet because reading is paused for the budget.
    socket.setTimeout(this.config.idleTimeoutMs, () => {
      if (this.pausedForBudget) return;
      this.logger.debug('syslog connection timed out', { remote: socket.remoteAddress });
      socket.destroy();
    });
    const ip = plainIp(socket.remoteAddress);
    lookupAddr(ip).then((hostname) => {
      if (socket.destroyed) return;
      this.serve(socket, { ip, hostname, remote: `${socket.remoteAddress}:${socket.remotePort}` });
    });
  }

  private serve(socket: Socket, peer: Peer): void {
    const sink = this.frameSink(peer);
    const framer = new SyslogFramer(sink, this.config.maxMessageLength);
    // In newline framing a message is complete only when the next one starts (it may continue on
    // lines that do not begin with `<`): hand on a held message once the sender pauses.
    let holdTimer: NodeJS.Timeout | undefined;
    const flush = () => {
      framer.flush();
      this.afterRead();
    };
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      if (framer.holding) {
        if (holdTimer) holdTimer.refresh();
        else holdTimer = setTimeout(flush, holdMs).unref();
      }
      this.afterRead();
      if (!framer.ok) socket.destroy();
    });
    socket.once('close', () => {
      clearTimeout(holdTimer);
      // As go-syslog on a read error or timeout: what was read still counts, the unfinished last line included.
      if (this.stopped || !framer.ok) return;
      framer.end();
      this.afterRead();
    });
    if (!this.pausedForBudget) socket.resume();
  }

  // --- UDP ---

  private async startUdp(host: string, port: number): Promise<void> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket({ type, recvBufferSize: 1024 * 1024 });
    this.udp = socket;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new Error(`error setting up syslog target ${this.ctx.jobName}: ${err.message}`));
      socket.once('error', onError);
      socket.bind({ address: host || undefined, port }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    socket.on('error', (err) => this.logger.warn('failed to read packets', { err: err.message }));
    socket.on('message', (msg, rinfo) => this.datagram(msg, rinfo));
    this.bound = socket.address();
  }

  /** Per sender IP and name, so that its relabel cache lives longer than one datagram. */
  private readonly udpSinks = new Map<string, FrameSink>();
  private readonly waiting = new Map<string, { datagrams: Buffer[]; rinfo: RemoteInfo }>();
  private waitingCount = 0;

  private datagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.stopped) return;
    if (this.budget?.full) {
      // A UDP socket cannot be paused: the kernel would drop what we do not read, so drop here and count.
      this.metrics.droppedDatagrams.inc();
      return;
    }
    // As Promtail: a datagram is read into a buffer of max_message_length, the rest is cut off.
    const data =
      msg.length > this.config.maxMessageLength ? msg.subarray(0, this.config.maxMessageLength) : msg;
    const ip = plainIp(rinfo.address);
    const hostname = this.hostnames.get(ip);
    if (hostname !== undefined) {
      this.parseDatagram(data, { ip, hostname, remote: `${rinfo.address}:${rinfo.port}` });
      return;
    }
    let queue = this.waiting.get(ip);
    if (!queue) {
      queue = { datagrams: [], rinfo };
      this.waiting.set(ip, queue);
      this.hostnames.lookup(ip).then((name) => {
        const q = this.waiting.get(ip)!;
        this.waiting.delete(ip);
        this.waitingCount -= q.datagrams.length;
        const peer = { ip, hostname: name, remote: `${q.rinfo.address}:${q.rinfo.port}` };
        for (const d of q.datagrams) if (!this.stopped) this.parseDatagram(d, peer);
      });
    }
    if (this.waitingCount >= 1024) {
      this.metrics.droppedDatagrams.inc();
      return;
    }
    this.waitingCount++;
    queue.datagrams.push(Buffer.from(data));
  }

  private parseDatagram(data: Buffer, peer: Peer): void {
    const key = `${peer.ip} ${peer.hostname}`;
    let sink = this.udpSinks.get(key);
    if (!sink) {
      if (this.udpSinks.size >= 4096) this.udpSinks.clear();
      sink = this.frameSink(peer);
      this.udpSinks.set(key, sink);
    }
    const framer = new SyslogFramer(sink, this.config.maxMessageLength);
    framer.push(data);
    framer.end();
    this.afterRead();
  }

  // --- messages ---

  private frameSink(peer: Peer): FrameSink {
    const connectionLabels = this.connectionLabels(peer);
    const cache: LabelCache = new Map();
    return {
      frame: (buf, start, end) => {
        const result = this.parse(buf, start, end);
        if (typeof result === 'string') this.parseError(result, peer);
        else this.message(result, connectionLabels, cache);
      },
      error: (reason) => this.parseError(reason, peer),
    };
  }

  private connectionLabels(peer: Peer): LabelSet {
    return {
      ...this.config.labels,
      __syslog_connection_ip_address: peer.ip,
      __syslog_connection_hostname: peer.hostname,
    };
  }

  private parseError(reason: string, peer: Peer): void {
    this.errors++;
    this.warnings.warn('error parsing syslog stream', { err: reason, remote: peer.remote });
  }

  private message(msg: SyslogMessage, connectionLabels: LabelSet, cache: LabelCache): void {
    if (msg.message === undefined) {
      this.empty++;
      return;
    }
    let labels: LabelSet;
    if (this.ctx.relabelConfigs.length === 0) {
      // Every `__syslog_*` label would be dropped right after relabeling: skip building them.
      labels = this.staticLabels;
    } else {
      // Relabeling is a pure function of the labels: messages of one sender repeat a few label
      // sets (host, app, severity), so each connection remembers the results it computed.
      const key = this.labelKey(msg);
      let cached = cache.get(key);
      if (cached === undefined) {
        const relabeled = relabel(this.messageLabels(msg, connectionLabels), this.ctx.relabelConfigs);
        if (relabeled === null) {
          cached = null;
        } else {
          cached = {};
          for (const name in relabeled) if (!name.startsWith('__')) cached[name] = relabeled[name]!;
        }
        if (cache.size >= labelCacheSize) cache.clear();
        cache.set(key, cached);
      }
      if (cached === null) return;
      labels = cached;
    }
    const timestamp =
      this.config.useIncomingTimestamp && msg.timestamp !== undefined ? msg.timestamp : nowNanos();
    const line =
      this.config.useRfc5424Message && this.config.syslogFormat === 'rfc5424'
        ? formatRfc5424(msg)
        : msg.message;
    const entry: Entry = { labels, timestamp, line, extracted: {} };
    if (this.budget) {
      const bytes = line.length + 64;
      entry.delivery = new BudgetDelivery(this.budget, bytes);
    }
    this.entries++;
    this.ctx.sink(entry);
  }

  /** Everything of a message that its labels depend on (besides the connection's). */
  private labelKey(msg: SyslogMessage): string {
    let key = `${msg.priority}\u0000${msg.hostname ?? '\u0001'}\u0000${msg.appName ?? '\u0001'}\u0000${msg.procId ?? '\u0001'}\u0000${msg.msgId ?? '\u0001'}`;
    if (this.config.labelStructuredData && msg.structuredData) {
      for (const [id, params] of msg.structuredData) {
        key += `\u0002${id}`;
        for (const [name, value] of params) key += `\u0003${name}\u0004${value}`;
      }
    }
    return key;
  }

  private messageLabels(msg: SyslogMessage, connectionLabels: LabelSet): LabelSet {
    const l: LabelSet = { ...connectionLabels };
    l.__syslog_message_severity = severityLevel(msg.priority);
    l.__syslog_message_facility = facilityLevel(msg.priority);
    if (msg.hostname !== undefined) l.__syslog_message_hostname = msg.hostname;
    if (msg.appName !== undefined) l.__syslog_message_app_name = msg.appName;
    if (msg.procId !== undefined) l.__syslog_message_proc_id = msg.procId;
    if (msg.msgId !== undefined) l.__syslog_message_msg_id = msg.msgId;
    if (this.config.labelStructuredData && msg.structuredData) {
      for (const [id, params] of msg.structuredData) {
        const prefix = `__syslog_message_sd_${id.replaceAll('@', '_')}_`;
        for (const [name, value] of params) l[prefix + name] = value;
      }
    }
    return l;
  }

  /** After each read: publish counts, and pause every connection while the budget is full. */
  private afterRead(): void {
    this.flushCounts();
    if (this.budget?.full && !this.pausedForBudget && this.server) {
      this.pausedForBudget = true;
      for (const s of this.sockets) s.pause();
      this.budget.room().then(() => {
        this.pausedForBudget = false;
        if (this.stopped) return;
        for (const s of this.sockets) {
          s.setTimeout(this.config.idleTimeoutMs); // re-arm: a paused socket may have timed out meanwhile
          s.resume();
        }
      });
    }
  }

  private flushCounts(): void {
    if (this.entries) {
      this.metrics.entries.inc(this.entries);
      this.totalEntries += this.entries;
      this.entries = 0;
    }
    if (this.errors) {
      this.metrics.parsingErrors.inc(this.errors);
      this.totalErrors += this.errors;
      this.errors = 0;
    }
    if (this.empty) {
      this.metrics.emptyMessages.inc(this.empty);
      this.empty = 0;
    }
  }
}
