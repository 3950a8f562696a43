/** The dashboard's shell: sign-in check, navigation (#/page), the live connection indicator. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onEvent, signIn } from './api.js';
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

const pageOf = (): PageName => {
  const h = location.hash.replace(/^#\/?/, '');
  return h in PAGES ? (h as PageName) : 'overview';
};

function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const [page, setPage] = useState<PageName>(pageOf());
  const [live, setLive] = useState(false);
  const [lastFill, setLastFill] = useState<string | null>(null);
  useEffect(() => { void signIn().then((s) => setSignedIn(s !== null)); }, []);
  useEffect(() => {
    const f = () => setPage(pageOf());
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
        {(Object.keys(PAGES) as PageName[]).map((p) => <a href={`#/${p}`} class={p === page ? 'active' : ''} data-testid={`nav-${p}`}>{PAGES[p].title}</a>)}
        <div class="status">
          <span class={live ? 'pos' : 'neg'} data-testid="live">{live ? '● live' : '○ offline'}</span>
          {lastFill && <div class="muted small" data-testid="last-fill">{lastFill}</div>}
        </div>
      </nav>
      <main data-page={page}><h2>{PAGES[page].title}</h2><View /></main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
