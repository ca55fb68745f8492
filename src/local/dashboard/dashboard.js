// The operator's page of the one-machine host: polls /api/metrics (Prometheus text), /api/inventory and
// one item's ledger every second. Plain browser JavaScript, no build step, no dependencies.
'use strict';

(() => {
  const REFRESH_MS = 1000;
  /** Rates and percentiles are taken over this much recent history. */
  const RATE_WINDOW_MS = 5000;
  const QUANTILE_WINDOW_MS = 10_000;
  const CHART_POINTS = 60;
  const ITEMS_PAGE = 200;
  const LEDGER_SHOWN = 15;
  const KEY_STORE = 'inventory-dashboard-api-key';

  const state = {
    key: sessionStorage.getItem(KEY_STORE),
    /** Snapshots of the metrics, oldest first: { at, decided, accept, latency }. */
    history: [],
    rates: [],
    selected: null,
    /** The ledger walk of the selected item: where its last page started, and the newest events. */
    ledger: { item: null, from: undefined, events: [] },
    refreshes: 0,
  };

  const $ = (id) => document.getElementById(id);

  class NeedKey extends Error {}

  async function api(path) {
    const headers = state.key ? { 'x-api-key': state.key } : {};
    const response = await fetch(`/api${path}`, { headers, cache: 'no-store' });
    if (response.status === 401) throw new NeedKey('the API key is missing or wrong');
    if (!response.ok) throw new Error(`${path.split('?')[0]} answered ${response.status}`);
    return response;
  }

  // --- Prometheus text -------------------------------------------------------------------------------

  function parsePrometheus(text) {
    const samples = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (match)
        samples.push({ name: match[1], labels: parseLabels(match[2] ?? ''), value: Number(match[3]) });
    }
    return samples;
  }

  function parseLabels(text) {
    const labels = {};
    for (const [, name, raw] of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name] = raw.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    return labels;
  }

  /** The sum of every series of a metric whose labels match `where`; null when there is none. */
  function total(samples, name, where = {}) {
    let sum = null;
    for (const s of samples) {
      if (s.name !== name) continue;
      if (Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
      sum = (sum ?? 0) + s.value;
    }
    return sum;
  }

  /** A histogram's cumulative bucket counts by upper bound, summed over its other labels. */
  function buckets(samples, name) {
    const byBound = new Map();
    for (const s of samples) {
      if (s.name !== `${name}_bucket`) continue;
      const bound = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
    }
    return [...byBound.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** The q-quantile of what was recorded between two bucket snapshots, interpolated as histogram_quantile does. */
  function quantile(q, now, then) {
    const before = new Map(then ?? []);
    const counts = now.map(([bound, count]) => [bound, count - (before.get(bound) ?? 0)]);
    const all = counts.length ? counts[counts.length - 1][1] : 0;
    if (all <= 0) return null;
    const rank = q * all;
    let lower = 0;
    let below = 0;
    for (const [bound, count] of counts) {
      if (count >= rank) {
        if (bound === Infinity) return lower;
        return lower + ((bound - lower) * (rank - below)) / Math.max(count - below, 1);
      }
      lower = bound;
      below = count;
    }
    return lower;
  }

  // --- figures ---------------------------------------------------------------------------------------

  function oldestWithin(ms, now) {
    return state.history.find((h) => now.at - h.at <= ms && h !== now) ?? null;
  }

  function showMetrics(samples) {
    const now = {
      at: performance.now(),
      decided: total(samples, 'inventory_commands_decided_total') ?? 0,
      accept: buckets(samples, 'inventory_accept_duration'),
      latency: buckets(samples, 'inventory_decision_latency'),
    };
    const previous = state.history[state.history.length - 1];
    state.history.push(now);
    while (state.history.length > 0 && now.at - state.history[0].at > QUANTILE_WINDOW_MS + REFRESH_MS) {
      state.history.shift();
    }
    const base = oldestWithin(RATE_WINDOW_MS, now);
    const rate = base ? ((now.decided - base.decided) * 1000) / (now.at - base.at) : null;
    if (previous) state.rates.push(((now.decided - previous.decided) * 1000) / (now.at - previous.at));
    if (state.rates.length > CHART_POINTS) state.rates.shift();

    $('decisions-rate').textContent = rate === null ? '–' : rate.toFixed(1);
    $('decided-total').textContent = String(now.decided);
    $('decided-detail').textContent = outcomes(samples);
    const recent = oldestWithin(QUANTILE_WINDOW_MS, now);
    $('accept-p99').textContent = ms(quantile(0.99, now.accept, recent?.accept));
    $('accepted-total').textContent = `${total(samples, 'inventory_accept_duration_count') ?? 0} accepted`;
    $('decision-p99').textContent = ms(quantile(0.99, now.latency, recent?.latency));
    const active = total(samples, 'inventory_queue_backlog', { state: 'active' });
    const scheduled = total(samples, 'inventory_queue_backlog', { state: 'scheduled' });
    $('backlog-active').textContent = active === null ? '–' : String(active);
    $('backlog-scheduled').textContent = scheduled === null ? '' : `${scheduled} scheduled`;
    $('conflicts-total').textContent = String(total(samples, 'inventory_etag_conflicts_total') ?? 0);
    $('dead-letters-total').textContent = String(total(samples, 'inventory_dead_letters_total') ?? 0);
    $('duplicates-total').textContent = String(total(samples, 'inventory_duplicates_absorbed_total') ?? 0);
    $('redeliveries-total').textContent =
      `${total(samples, 'inventory_redeliveries_total') ?? 0} redelivered`;
    drawRates();
  }

  function outcomes(samples) {
    const by = new Map();
    for (const s of samples) {
      if (s.name !== 'inventory_commands_decided_total') continue;
      by.set(s.labels.outcome, (by.get(s.labels.outcome) ?? 0) + s.value);
    }
    return [...by.entries()].map(([outcome, n]) => `${n} ${outcome}`).join(' · ');
  }

  function ms(value) {
    if (value === null) return '–';
    return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
  }

  function drawRates() {
    const top = Math.max(1, ...state.rates);
    const step = 300 / (CHART_POINTS - 1);
    const offset = CHART_POINTS - state.rates.length;
    const points = state.rates.map(
      (r, i) => `${((offset + i) * step).toFixed(1)},${(46 - (r / top) * 44).toFixed(1)}`,
    );
    $('rate-line').setAttribute('points', points.join(' '));
  }

  // --- items and ledger ------------------------------------------------------------------------------

  function cell(row, text, field, numeric) {
    const td = row.insertCell();
    td.textContent = text;
    if (field) td.dataset.field = field;
    if (numeric) td.className = 'num';
    return td;
  }

  function showItems(page) {
    const body = $('items').tBodies[0];
    const rows = page.items.map((item) => {
      const row = document.createElement('tr');
      row.dataset.item = item.inventoryId;
      if (item.inventoryId === state.selected) row.className = 'selected';
      cell(row, item.inventoryId, 'inventoryId');
      cell(row, item.name, 'name');
      for (const field of ['available', 'reserved', 'confirmed', 'seq'])
        cell(row, String(item[field]), field, true);
      cell(row, new Date(item.updatedAt).toLocaleTimeString(), 'updatedAt');
      row.addEventListener('click', () => select(item.inventoryId));
      return row;
    });
    body.replaceChildren(...rows);
    $('items-note').textContent = page.continuation
      ? `(first ${page.items.length})`
      : `(${page.items.length})`;
    // Until the operator picks one, follow the item that changed last.
    if (!page.items.some((i) => i.inventoryId === state.selected) && page.items.length > 0) {
      const latest = page.items.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
      state.selected = latest.inventoryId;
    }
  }

  function select(inventoryId) {
    state.selected = inventoryId;
    for (const row of $('items').tBodies[0].rows) {
      row.className = row.dataset.item === inventoryId ? 'selected' : '';
    }
    // Shown at once; a failure here is reported by the next tick.
    loadLedger(inventoryId).then(
      (events) => state.selected === inventoryId && showLedger(inventoryId, events),
      () => undefined,
    );
  }

  /** The newest events of the item's ledger; one walk at a time, shared by the refresh loop and a click. */
  function loadLedger(inventoryId) {
    if (state.ledger.item !== inventoryId) {
      state.ledger = { item: inventoryId, from: undefined, events: [], walking: null };
    }
    const ledger = state.ledger;
    ledger.walking ??= walkLedger(ledger).finally(() => (ledger.walking = null));
    return ledger.walking;
  }

  /** Walks the ledger on from where the last walk's final page began (a continuation is a position). */
  async function walkLedger(ledger) {
    let events = ledger.events;
    let from = ledger.from;
    for (let pages = 0; pages < 50; pages++) {
      const query = new URLSearchParams({ limit: '500', ...(from ? { continuation: from } : {}) });
      const page = await (await api(`/inventory/${encodeURIComponent(ledger.item)}/ledger?${query}`)).json();
      const known = new Set(events.map((e) => e.seq));
      events = [...events, ...page.items.filter((e) => !known.has(e.seq))]
        .sort((a, b) => a.seq - b.seq)
        .slice(-LEDGER_SHOWN);
      if (!page.continuation) break;
      ledger.from = from = page.continuation;
    }
    ledger.events = events;
    return events;
  }

  function showLedger(inventoryId, events) {
    $('ledger-item').textContent = inventoryId ? `of ${inventoryId}` : '';
    const rows = [...events].reverse().map((e) => {
      const row = document.createElement('tr');
      row.dataset.seq = String(e.seq);
      cell(row, String(e.seq), 'seq', true);
      cell(row, e.kind, 'kind');
      cell(row, e.reservationId ?? '', 'reservationId');
      cell(row, e.quantity === null ? '' : String(e.quantity), 'quantity', true);
      cell(row, String(e.delta.available), 'available', true);
      cell(row, String(e.delta.reserved), 'reserved', true);
      cell(row, String(e.delta.confirmed), 'confirmed', true);
      cell(row, e.reason ?? '', 'reason');
      cell(row, new Date(e.at).toLocaleTimeString(), 'at');
      return row;
    });
    $('ledger').tBodies[0].replaceChildren(...rows);
  }

  // --- refresh loop and the API key ------------------------------------------------------------------

  async function refresh() {
    const [metrics, items] = await Promise.all([
      api('/metrics').then((r) => r.text()),
      api(`/inventory?limit=${ITEMS_PAGE}`).then((r) => r.json()),
    ]);
    showMetrics(parsePrometheus(metrics));
    showItems(items);
    const selected = state.selected;
    if (selected) {
      const events = await loadLedger(selected);
      if (state.selected === selected) showLedger(selected, events);
    }
    state.refreshes += 1;
    const status = $('status');
    status.className = 'status';
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.dataset.refreshes = String(state.refreshes);
  }

  function askForKey(message) {
    $('key-form').hidden = false;
    $('key-error').textContent = state.key ? message : '';
    $('key-input').focus();
  }

  async function tick() {
    try {
      await refresh();
    } catch (error) {
      if (error instanceof NeedKey) {
        askForKey(error.message);
        return; // resumes once a key is given
      }
      const status = $('status');
      status.className = 'status error';
      status.textContent = `refresh failed: ${error.message}`;
    }
    setTimeout(tick, REFRESH_MS);
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.key = $('key-input').value;
    sessionStorage.setItem(KEY_STORE, state.key);
    $('key-form').hidden = true;
    void tick();
  });

  void tick();
})();
