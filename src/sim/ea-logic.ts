/**
 * What the EA does with an order intent, in TypeScript for the simulated terminal: the same rules as
 * mql5/Experts/ExecutorBridge.mq5 — filling mode chosen per symbol at send time (FOK, then IOC, then RETURN
 * as SYMBOL_FILLING_MODE and the execution mode allow; on 10030 one retry with the next), close by ticket, the intent id in the
 * order comment, and a ring of recent intent ids so a re-sent id returns the stored result.
 */
import { intentComment } from '../protocol/contract.js';
import { MsgType, type IntentBody, type IntentMsg, type IntentResultBody, type Msg } from '../protocol/messages.js';
import { ORDER_FILLING, ORDER_TYPE, SYMBOL_FILLING, SYMBOL_TRADE_EXECUTION, TRADE_ACTION, type TradeRequest, type TradeResult } from '../protocol/mt5.js';
import { RC, retcodeClass } from '../protocol/retcodes.js';
import type { SimBroker } from './broker.js';
import { ResultRing, ringHash } from './result-ring.js';

// the comment contract is the protocol's (re-exported for the callers that read comments of simulated trades)
export { INTENT_COMMENT_PREFIX, intentComment } from '../protocol/contract.js';

/**
 * Filling modes to try for a market order, in order (the EA's rule, Bridge.mqh FillingModes): FOK when its bit is
 * set or under Request/Instant execution, IOC when its bit is set, RETURN unless under Market execution.
 */
export function fillingCandidates(fillingMask: number, executionMode: number = SYMBOL_TRADE_EXECUTION.MARKET): number[] {
  const out: number[] = [];
  const requestOrInstant = executionMode === SYMBOL_TRADE_EXECUTION.REQUEST || executionMode === SYMBOL_TRADE_EXECUTION.INSTANT;
  if (fillingMask & SYMBOL_FILLING.FOK || requestOrInstant) out.push(ORDER_FILLING.FOK);
  if (fillingMask & SYMBOL_FILLING.IOC) out.push(ORDER_FILLING.IOC);
  if (executionMode !== SYMBOL_TRADE_EXECUTION.MARKET) out.push(ORDER_FILLING.RETURN);
  if (out.length === 0) out.push(ORDER_FILLING.FOK); // nothing allowed: the broker's answer, verbatim
  return out;
}

/** fillingCandidates of each execution mode (0..3) and SYMBOL_FILLING_MODE mask (0..7), made once: send() runs per intent. */
const CANDIDATES: readonly (readonly (readonly number[])[])[] = Array.from({ length: 4 }, (_, exe) =>
  Array.from({ length: 8 }, (_, mask) => Object.freeze(fillingCandidates(mask, exe))),
);
/** Pending orders: RETURN (the order rests), then FOK and IOC as the bits allow. */
function pendingCandidates(fillingMask: number): number[] {
  const out: number[] = [ORDER_FILLING.RETURN];
  if (fillingMask & SYMBOL_FILLING.FOK) out.push(ORDER_FILLING.FOK);
  if (fillingMask & SYMBOL_FILLING.IOC) out.push(ORDER_FILLING.IOC);
  return out;
}
const RETURN_ONLY: readonly number[] = Object.freeze([ORDER_FILLING.RETURN]);

type ResultCore = Omit<IntentResultBody, 're' | 'intentId' | 'duplicate'>;

/**
 * A trade result's fields written into `out` (which may already hold the envelope fields: no copy of the result is
 * made): retcode, class and comment, then the fields the result has.
 */
function fillResult<T extends object>(out: T, r: TradeResult): T & ResultCore {
  const o = out as T & ResultCore;
  o.retcode = r.retcode;
  o.class = retcodeClass(r.retcode);
  o.comment = r.comment;
  if (r.order) o.order = r.order;
  if (r.deal) o.deal = r.deal;
  if (r.volume) o.volume = r.volume;
  if (r.price) o.price = r.price;
  if (r.bid) o.bid = r.bid;
  if (r.ask) o.ask = r.ask;
  if (r.retcodeExternal) o.retcodeExternal = r.retcodeExternal;
  return o;
}

/**
 * The result of an executed deal (OPEN, CLOSE) whose trade result has every field but retcodeExternal: the object
 * `fillResult` gives with `position` set after it — the same keys in the same order — made in one piece. (Grown key
 * by key from its envelope, it got a new property store three times over: ~300 bytes of garbage an intent.)
 * undefined for any other result.
 */
function dealResult(re: number, intentId: string, r: TradeResult, position: bigint | undefined): IntentResultBody | undefined {
  if (r.retcode !== RC.DONE || !r.order || !r.deal || !r.volume || !r.price || !r.bid || !r.ask || r.retcodeExternal) return undefined;
  return {
    re, intentId, duplicate: false, retcode: r.retcode, class: retcodeClass(r.retcode), comment: r.comment, order: r.order, deal: r.deal,
    volume: r.volume, price: r.price, bid: r.bid, ask: r.ask, position,
  };
}

/** A result without a trade (a refusal before any OrderSend) written into `out`. */
function fillFinal<T extends object>(out: T, retcode: number, comment: string): T & ResultCore {
  const o = out as T & ResultCore;
  o.retcode = retcode;
  o.class = 'final';
  o.comment = comment;
  return o;
}

export class SimEaLogic {
  /** The last `ringSize` intent ids and their results. */
  private readonly ring: ResultRing;
  /** OrderSend calls made (tests count executions with it). */
  orderSends = 0;

  constructor(
    private readonly broker: SimBroker,
    ringSize = 4096,
  ) {
    this.ring = new ResultRing(ringSize);
  }

  /** Execute an intent once; a repeated intent id returns the stored result marked `duplicate`. */
  handle(msg: IntentMsg): IntentResultBody {
    return this.run(msg.type, msg, msg.id);
  }

  /**
   * `handle` for an intent as the engine writes it (its name in `type`, tickets bigint) with request id `id`,
   * without copying it into a message first. The caller has validated it as its message (fastIntentBody).
   */
  handleIntent(body: IntentBody, id: number): IntentResultBody {
    return this.run(MsgType[body.type], body as unknown as IntentMsg, id);
  }

  private run(kind: number, msg: IntentMsg, id: number): IntentResultBody {
    const h = ringHash(msg.intentId);
    const seen = this.ring.get(msg.intentId, id, h);
    if (seen) return seen;
    // the result is built in place, envelope first (no copy of a partial result per intent)
    const result = this.execute(kind, msg, id);
    this.ring.add(msg.intentId, result, h);
    return result;
  }

  private send(req: TradeRequest): TradeResult {
    // SymbolInfoInteger(SYMBOL_FILLING_MODE) at send time, as the EA reads it
    const filling = req.symbol ? this.broker.fillingMode(req.symbol) : undefined;
    let modes: readonly number[] = RETURN_ONLY;
    if (filling !== undefined && req.action === TRADE_ACTION.DEAL) {
      const exe = this.broker.executionMode(req.symbol!) ?? SYMBOL_TRADE_EXECUTION.MARKET;
      modes = CANDIDATES[exe]?.[filling] ?? fillingCandidates(filling, exe);
    } else if (filling !== undefined && req.action === TRADE_ACTION.PENDING) modes = pendingCandidates(filling);
    let res!: TradeResult;
    // at most two attempts: the preferred mode, then the next one on 10030 (as the EA does)
    for (let i = 0; i < Math.min(2, modes.length); i++) {
      this.orderSends++;
      req.typeFilling = modes[i]!; // the request is this call's own object (the broker keeps none)
      res = this.broker.orderSend(req);
      if (res.retcode !== RC.INVALID_FILL) break;
    }
    return res;
  }

  /**
   * `kind` is the message type; `i` has the fields of that intent (its own `type` is not read); `re` the request id.
   * The result's fields are written after its envelope (re, intentId, duplicate).
   */
  private execute(kind: number, i: IntentMsg, re: number): IntentResultBody {
    const comment = intentComment(i.intentId);
    const out = { re, intentId: i.intentId, duplicate: false };
    switch (kind) {
      case MsgType.OPEN: {
        const m = i as Msg<'OPEN'>;
        // (typeFilling is set by send(); in the literal, so that setting it does not grow the object)
        const req: TradeRequest = {
          action: TRADE_ACTION.DEAL, symbol: m.symbol, type: m.side, volume: m.volume, sl: m.sl, tp: m.tp,
          deviation: m.deviation, magic: m.magic, comment, typeFilling: ORDER_FILLING.FOK,
        };
        if (m.price !== undefined) req.price = m.price;
        const r = this.send(req);
        if (r.retcode === RC.DONE) {
          const whole = dealResult(re, i.intentId, r, this.positionOfDeal(r.deal));
          if (whole) return whole;
        }
        const res = fillResult(out, r);
        if (r.retcode === RC.DONE) res.position = this.positionOfDeal(r.deal);
        return res;
      }
      case MsgType.PLACE_PENDING: {
        const m = i as Msg<'PLACE_PENDING'>;
        return fillResult(out, this.send({
          action: TRADE_ACTION.PENDING, symbol: m.symbol, type: m.orderType, volume: m.volume, price: m.price,
          stoplimit: m.stopLimit, sl: m.sl, tp: m.tp, expiration: m.expiration, magic: m.magic, comment,
        }));
      }
      case MsgType.CLOSE: {
        const m = i as Msg<'CLOSE'>;
        return this.closePosition(m.ticket, m.volume, m.deviation, m.magic, comment, out, re);
      }
      case MsgType.MODIFY: {
        const m = i as Msg<'MODIFY'>;
        const pos = this.broker.positionBasics(m.ticket);
        return fillResult(out, this.broker.orderSend({
          action: TRADE_ACTION.SLTP, position: m.ticket, symbol: pos?.symbol ?? '', sl: m.sl, tp: m.tp, magic: m.magic,
        }));
      }
      case MsgType.MODIFY_ORDER: {
        const m = i as Msg<'MODIFY_ORDER'>;
        return fillResult(out, this.broker.orderSend({
          action: TRADE_ACTION.MODIFY, order: m.ticket, price: m.price, sl: m.sl, tp: m.tp, expiration: m.expiration,
        }));
      }
      case MsgType.CANCEL: {
        const m = i as Msg<'CANCEL'>;
        return fillResult(out, this.broker.orderSend({ action: TRADE_ACTION.REMOVE, order: m.ticket }));
      }
      case MsgType.CLOSE_ALL: {
        const m = i as Msg<'CLOSE_ALL'>;
        const results: NonNullable<IntentResultBody['results']> = [];
        for (const p of this.broker.positionList()) {
          if (m.symbol && p.symbol !== m.symbol) continue;
          if (m.onlyMagic && p.magic !== m.magic) continue;
          results.push(this.closePosition(p.ticket, 0, m.deviation, m.magic, comment, { ticket: p.ticket }));
        }
        for (const o of this.broker.orderList()) {
          if (m.symbol && o.symbol !== m.symbol) continue;
          if (m.onlyMagic && o.magic !== m.magic) continue;
          results.push(fillResult({ ticket: o.ticket }, this.broker.orderSend({ action: TRADE_ACTION.REMOVE, order: o.ticket })));
        }
        const failed = results.find((r) => r.retcode !== RC.DONE);
        const res = out as IntentResultBody;
        if (failed) {
          res.retcode = failed.retcode;
          res.class = failed.class;
          res.comment = `${results.length - 1} others attempted; first failure: ${failed.comment ?? ''}`;
        } else {
          res.retcode = RC.DONE;
          res.class = 'done';
          res.comment = `${results.length} closed`;
        }
        res.results = results;
        return res;
      }
      default:
        return fillFinal(out, RC.INVALID, `not an intent: message type ${kind}`);
    }
  }

  /**
   * Close position `ticket` (all of it when `volume` is 0); the result's fields are written into `out` — or, with
   * `re` (out is then the intent's envelope), a done deal's result may be made whole (dealResult).
   */
  private closePosition<T extends object>(ticket: bigint, volume: number, deviation: number, magic: number, comment: string, out: T, re?: number): T & ResultCore {
    const pos = this.broker.positionBasics(ticket);
    if (!pos) {
      const closed = this.broker.isClosedPosition(ticket);
      return fillFinal(out, closed ? RC.POSITION_CLOSED : RC.INVALID, closed ? `position ${ticket} is already closed` : `position ${ticket} not found`);
    }
    const r = this.send({
      action: TRADE_ACTION.DEAL, symbol: pos.symbol, position: ticket,
      type: pos.type === ORDER_TYPE.BUY ? ORDER_TYPE.SELL : ORDER_TYPE.BUY,
      volume: volume > 0 ? volume : pos.volume, deviation, magic, comment, typeFilling: ORDER_FILLING.FOK,
    });
    if (re !== undefined && r.retcode === RC.DONE) {
      const whole = dealResult(re, (out as unknown as { intentId: string }).intentId, r, ticket);
      if (whole) return whole as unknown as T & ResultCore;
    }
    const res = fillResult(out, r);
    if (r.retcode === RC.DONE) res.position = ticket;
    return res;
  }

  private positionOfDeal(deal: bigint): bigint | undefined {
    return this.broker.dealPositionId(deal);
  }
}
