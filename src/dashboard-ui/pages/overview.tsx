import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm, Outcome, PaperBadge } from '../components.js';
import { money, num, pnlClass } from '../format.js';
import { useResource } from '../hooks.js';
import type { Overview } from '../../host/dashboard/schemas.js';

const LIMIT_NAMES: Record<string, string> = {
  maxDailyLossPercent: 'Daily loss %', maxDailyLossMoney: 'Daily loss', maxDrawdownPercent: 'Drawdown %', maxLot: 'Largest position, lots',
  maxPositionsAccount: 'Positions (account)', maxPositionsSymbol: 'Positions (one symbol)', maxPositionsStrategy: 'Positions (one strategy)', maxCorrelatedLots: 'Lots on one symbol',
};

export function OverviewPage() {
  const { data: o, error, reload } = useResource<Overview>('/overview', ['account', 'positions', 'fill', 'kill', 'connection', 'changed']);
  const [ask, setAsk] = useState<'stop' | 'unlock' | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  if (error) return <p class="error">{error}</p>;
  if (!o) return <p>loading…</p>;
  const a = o.account;
  const ks = o.risk.killSwitch;
  // several accounts: the actions below act on the one shown — say which
  const key = a ? `${a.login}@${a.server}` : null;
  const several = o.accounts.length > 1;
  const driven = o.accounts.find((x) => x.platform)?.key ?? null;
  const on = several && key ? ` — ${key}` : '';
  const act = async (what: 'stop' | 'unlock') => {
    setAsk(null);
    try {
      const r = what === 'stop'
        ? await api('POST', '/emergency-stop', { reason: 'EMERGENCY STOP from the dashboard' })
        : await api('POST', '/kill-switch/unlock', { confirm: 'UNLOCK' });
      setOutcome({ ok: true, text: JSON.stringify(r, null, 2) });
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    }
    reload();
  };
  return (
    <div class="page overview">
      <section class="cards">
        <div class="card" data-testid="account">
          <h3>Account {a ? `${a.login} · ${a.server}` : ''}{(o.paper || a?.paper) && <PaperBadge testId="paper-account" />}</h3>
          {a ? (
            <dl>
              <dt>Balance</dt><dd data-testid="balance">{money(a.balance, a.currency)}</dd>
              <dt>Equity</dt><dd data-testid="equity">{money(a.equity, a.currency)}</dd>
              <dt>Margin</dt><dd>{money(a.margin)}</dd>
              <dt>Free margin</dt><dd>{money(a.freeMargin)}</dd>
              <dt>Margin level</dt><dd>{a.margin > 0 ? `${num(a.marginLevel, 1)} %` : '–'}</dd>
              <dt>Today's P&amp;L</dt><dd class={pnlClass(a.todayPnl ?? 0)}>{money(a.todayPnl)}</dd>
              <dt>Type</dt><dd>{a.paper ? 'paper (simulated) · ' : ''}{a.tradeMode === 2 ? 'REAL' : a.tradeMode === 1 ? 'contest' : 'demo'} · 1:{a.leverage}</dd>
            </dl>
          ) : <p>No terminal connected yet.</p>}
        </div>
        <div class="card" data-testid="connection">
          <h3>Connections</h3>
          <dl>
            <dt>MT5 EA</dt><dd class={o.connection.ea ? 'pos' : 'neg'}>{o.connection.ea ? 'connected' : 'disconnected'}</dd>
            <dt>Platform</dt><dd class={o.connection.platform ? 'pos' : o.connection.platform === null ? '' : 'neg'}>{o.connection.platform === null ? 'not configured' : o.connection.platform ? 'connected' : 'disconnected'}{several && driven && driven !== key ? ` (it drives ${driven})` : ''}</dd>
            <dt>Outbox</dt><dd>{o.connection.outboxDepth} report(s) waiting</dd>
            <dt>Positions</dt><dd>{o.positions}</dd>
            <dt>Strategies</dt><dd>{o.strategies}</dd>
            <dt>Host</dt><dd>v{o.version}</dd>
          </dl>
        </div>
        <div class={`card kill ${ks.locked ? 'locked' : ''}`} data-testid="kill-switch">
          <h3>Kill switch</h3>
          {ks.locked ? (
            <>
              <p class="lock" data-testid="lock">LOCKED until {new Date((ks.lockedUntil ?? 0) * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC</p>
              <p class="muted">{ks.reason}</p>
              <button class="secondary" onClick={() => setAsk('unlock')}>Unlock trading…</button>
            </>
          ) : <p class="muted">Trading allowed.{ks.reason ? ` Last: ${ks.reason}` : ''}</p>}
          <button class="emergency" data-testid="emergency-stop" onClick={() => setAsk('stop')}>EMERGENCY STOP</button>
        </div>
      </section>
      <section class="card">
        <h3>Risk limits</h3>
        <table class="risk" data-testid="risk">
          <thead><tr><th>Limit</th><th>Value</th><th>Used</th><th /></tr></thead>
          <tbody>
            {o.risk.use.map((u) => (
              <tr>
                <td>{LIMIT_NAMES[u.limit] ?? u.limit}</td><td>{u.value}</td><td>{num(u.used)}</td>
                <td class="bar"><div class={`fill ${u.pct >= 100 ? 'full' : u.pct >= 75 ? 'high' : ''}`} style={{ width: `${Math.min(100, u.pct)}%` }} /><span>{num(u.pct, 1)} %</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {o.accounts.length > 1 && (
        <section class="card">
          <h3>Accounts on this host</h3>
          <p class="muted">The pages show one account at a time: choose it with the account picker beside the menu (the API: <code>?account=login@server</code>).</p>
          <table data-testid="accounts">
            <thead><tr><th>Account</th><th>EA</th><th>Balance</th><th>Equity</th><th>Strategies</th><th>Positions</th><th>Kill switch</th></tr></thead>
            <tbody>
              {o.accounts.map((x) => (
                <tr data-key={x.key ?? ''}>
                  <td>{x.key ?? '(not connected yet)'}{x.primary ? ' · primary' : ''}{x.platform ? ' · platform' : ''}</td>
                  <td>{x.connected ? 'connected' : 'away'}</td>
                  <td>{x.balance === null ? '–' : money(x.balance, x.currency ?? '')}</td>
                  <td>{x.equity === null ? '–' : money(x.equity, x.currency ?? '')}</td>
                  <td>{x.running} running of {x.strategies}</td>
                  <td>{x.positions}</td>
                  <td class={x.killSwitch.locked ? 'neg' : ''}>{x.killSwitch.locked ? 'LOCKED' : 'off'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Outcome value={outcome} />
      {ask === 'stop' && (
        <Confirm title={`EMERGENCY STOP${on}`} yes="Stop everything" danger onYes={() => act('stop')} onNo={() => setAsk(null)}>
          <p>Stop every strategy, close every position, delete pending orders and lock trading for an hour{several ? ` on ${key ?? 'this account'} only; the other accounts of this host go on trading (choose each in the account picker)` : ''}.</p>
        </Confirm>
      )}
      {ask === 'unlock' && (
        <Confirm title={`Unlock trading${on}`} yes="Unlock" onYes={() => act('unlock')} onNo={() => setAsk(null)}>
          <p>End the lock now. Strategies stay stopped until you start them.</p>
        </Confirm>
      )}
    </div>
  );
}
