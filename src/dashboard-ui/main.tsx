/** The dashboard's shell: sign-in check, navigation (#/page), the live connection indicator. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { chooseAccount, onEvent, signIn } from './api.js';
import { useResource } from './hooks.js';
import type { AccountRow } from '../host/dashboard/schemas.js';
import { DecisionsPage } from './pages/decisions.js';
import { HistoryPage } from './pages/history.js';
import { LogsPage } from './pages/logs.js';
import { OverviewPage } from './pages/overview.js';
import { PerformancePage } from './pages/performance.js';
import { PositionsPage } from './pages/positions.js';
import { StrategiesPage } from './pages/strategies.js';

const PAGES = {
  overview: { title: 'Overview', view: OverviewPage },
  strategies: { title: 'Strategies', view: StrategiesPage },
  positions: { title: 'Positions & orders', view: PositionsPage },
  history: { title: 'Trade history', view: HistoryPage },
  performance: { title: 'Performance', view: PerformancePage },
  decisions: { title: 'Decisions', view: DecisionsPage },
  logs: { title: 'Live log', view: LogsPage },
} as const;
type PageName = keyof typeof PAGES;

// #/page or #/page?account=login@server (several accounts: the pages read and act on that one)
const pageOf = (): PageName => {
  const h = location.hash.replace(/^#\/?/, '').split('?')[0]!;
  return h in PAGES ? (h as PageName) : 'overview';
};
const accountOf = (): string | undefined => new URLSearchParams(location.hash.split('?')[1] ?? '').get('account') || undefined;
const hashFor = (page: PageName, account: string | undefined) => `#/${page}${account ? `?account=${encodeURIComponent(account)}` : ''}`;

/** The account picker: shown when the host trades several accounts. */
function AccountPicker({ page, account }: { page: PageName; account: string | undefined }) {
  const { data, reload } = useResource<AccountRow[]>('/accounts', ['connection', 'changed']);
  // another terminal connecting is not an event of the account shown: look again every few seconds
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, []);
  const keyed = (data ?? []).filter((a): a is AccountRow & { key: string } => a.key !== null);
  if (keyed.length < 2) return null;
  const primary = keyed.find((a) => a.primary)?.key;
  return (
    <label class="account-picker">account{' '}
      <select data-testid="account-select" value={account ?? primary ?? ''} onChange={(e) => {
        const key = (e.currentTarget as HTMLSelectElement).value;
        location.hash = hashFor(page, key === primary ? undefined : key);
      }}>
        {keyed.map((a) => <option value={a.key}>{a.key}{a.primary ? ' (primary)' : ''}{a.connected ? '' : ' — away'}</option>)}
      </select>
    </label>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const [page, setPage] = useState<PageName>(pageOf());
  const [account, setAccount] = useState<string | undefined>(() => {
    chooseAccount(accountOf());
    return accountOf();
  });
  const [live, setLive] = useState(false);
  const [lastFill, setLastFill] = useState<string | null>(null);
  useEffect(() => { void signIn().then((s) => setSignedIn(s !== null)); }, []);
  useEffect(() => {
    const f = () => {
      setPage(pageOf());
      chooseAccount(accountOf());
      setAccount(accountOf());
    };
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  useEffect(() => {
    if (!signedIn) return;
    return onEvent((type, data) => {
      if (type === 'hello') setLive(true);
      if (type === 'fill') {
        const d = data as { symbol: string; volume: number; price: number };
        setLastFill(`${new Date().toISOString().slice(11, 19)} fill ${d.volume} ${d.symbol} @ ${d.price}`);
      }
    });
  }, [signedIn]);
  if (signedIn === null) return <p class="center">…</p>;
  if (!signedIn) {
    return (
      <div class="center signin" data-testid="signed-out">
        <h2>mt5-executor</h2>
        <p>This browser is not signed in. Run <code>mt5-executor dashboard</code> on this computer: it opens a one-time sign-in link.</p>
      </div>
    );
  }
  const View = PAGES[page].view;
  return (
    <div class="app">
      <nav>
        <h1>mt5-executor</h1>
        <AccountPicker page={page} account={account} />
        {(Object.keys(PAGES) as PageName[]).map((p) => <a href={hashFor(p, account)} class={p === page ? 'active' : ''} data-testid={`nav-${p}`}>{PAGES[p].title}</a>)}
        <div class="status">
          <span class={live ? 'pos' : 'neg'} data-testid="live">{live ? '● live' : '○ offline'}</span>
          {lastFill && <div class="muted small" data-testid="last-fill">{lastFill}</div>}
        </div>
      </nav>
      <main data-page={page} data-account={account ?? ''}><h2>{PAGES[page].title}{account ? <span class="muted"> · {account}</span> : null}</h2><View key={account ?? ''} /></main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
