// wsbridge console: subscribes to an application's events on this bridge over a WebSocket, shows the newest events in
// a table and charts each numeric field of `data` per device. Credentials are kept in memory only and sent to this
// bridge only (the page's own origin). Plain script, no build step.
(function () {
  'use strict';

  const MAX_ROWS = 200;
  const MAX_POINTS = 300;
  const MAX_CHARTS = 12;
  const PAUSED_BUFFER = 5000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const form = $('subscribe');
  const status = $('status');
  const rows = document.querySelector('#events tbody');
  const charts = $('charts');

  let socket = null;
  let wanted = null;       // the subscription the user asked for, while it lasts
  let opened = false;      // whether the current socket opened
  let wasLive = false;     // whether the subscription was live once: then a failed open is a drop, not a refusal
  let resumable = false;   // whether this bridge can replay from Kafka: then a reconnect resumes after the last row
  let gapWarning = false;  // reconnected without resuming: events between the drop and the reconnect may be missing
  let backoff = BACKOFF_MIN_MS;
  let retryTimer = null;
  let cursor = null;       // wsbridgecursor of the last event shown, to resume after a drop
  let paused = false;
  let pending = [];
  let received = 0;
  const seen = new Set();  // ids of the events in the table, so a resumed stream adds no duplicate row
  const seenOrder = [];
  const series = new Map(); // field -> { plot, devices: [..], times: [..], values: Map(device -> [..]) }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function showCredentials() {
    const kind = $('credentials').value;
    $('token-fields').hidden = kind !== 'token';
    $('apikey-fields').hidden = kind !== 'apikey';
  }

  function streamUrl(subscription) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let path = '/' + encodeURIComponent(subscription.application);
    if (subscription.channel) {
      path += '/' + encodeURIComponent(subscription.channel);
    }
    const query = new URLSearchParams();
    if (subscription.group) query.set('group_id', subscription.group);
    if (subscription.filter) query.set('filter', subscription.filter);
    if (subscription.token) query.set('token', subscription.token);
    if (subscription.username) {
      query.set('username', subscription.username);
      query.set('api_key', subscription.apiKey);
    }
    if (cursor && resumable) query.set('from', cursor);
    const text = query.toString();
    return scheme + '//' + location.host + path + (text ? '?' + text.replace(/\+/g, '%20') : '');
  }

  function subscribe(event) {
    event.preventDefault();
    stop();
    const kind = $('credentials').value;
    wanted = {
      application: $('application').value.trim(),
      channel: $('channel').value.trim(),
      group: $('group').value.trim(),
      filter: $('filter').value.trim(),
      token: kind === 'token' ? $('token').value.trim() : '',
      username: kind === 'apikey' ? $('username').value.trim() : '',
      apiKey: kind === 'apikey' ? $('apikey').value : ''
    };
    if (!wanted.application) {
      setStatus('error', 'Name an application.');
      wanted = null;
      return;
    }
    cursor = null;
    wasLive = false;
    gapWarning = false;
    clearView();
    history.replaceState(null, '', '?application=' + encodeURIComponent(wanted.application));
    $('disconnect').disabled = false;
    $('pause').disabled = false;
    fetch('/_wsbridge/console/features.json', { cache: 'no-store' })
      .then((answer) => (answer.ok ? answer.json() : { resume: false }))
      .catch(() => ({ resume: false }))
      .then((features) => {
        resumable = features.resume === true;
        open();
      });
  }

  function open() {
    if (!wanted) return;
    opened = false;
    setStatus('connecting', 'Connecting to ' + wanted.application + '…');
    const ws = new WebSocket(streamUrl(wanted));
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      opened = true;
      wasLive = true;
      backoff = BACKOFF_MIN_MS;
      setStatus('live', 'Live: ' + wanted.application + (wanted.channel ? '/' + wanted.channel : '')
          + (wanted.filter ? ' where ' + wanted.filter : '')
          + (gapWarning ? ' (could not resume after the drop: events in between may be missing)' : ''));
      gapWarning = false;
    };
    ws.onmessage = (message) => {
      if (socket !== ws) return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (event.wsbridgecursor) cursor = event.wsbridgecursor;
      if (paused) {
        pending.push(event);
        if (pending.length > PAUSED_BUFFER) pending.shift();
      } else {
        show(event);
      }
    };
    ws.onclose = (close) => {
      if (socket !== ws) return;
      socket = null;
      if (!wanted) return;
      if (!opened && !wasLive) {
        // A browser does not expose the HTTP answer to a refused upgrade: say what it can mean, then ask the same
        // route as a Server-Sent Events request, whose refusal a page can read (status and reason).
        const refused = wanted;
        const prefix = 'Refused: the bridge did not open the stream of ' + refused.application;
        setStatus('refused', prefix + ' (no such application, not allowed to read it with these credentials, or a'
            + ' bad channel, group or filter).');
        stopped();
        explainRefusal(refused).then((why) => {
          if (why && status.dataset.state === 'refused') setStatus('refused', prefix + ': ' + why);
        });
        return;
      }
      if (close.code === 1008 || close.code === 1002 || close.code === 1003) {
        setStatus('refused', 'Closed by the bridge (' + close.code + '): ' + (close.reason || 'policy'));
        stopped();
        return;
      }
      gapWarning = !resumable;
      const wait = backoff;
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      const why = opened ? 'Connection dropped (' + close.code + (close.reason ? ': ' + close.reason : '') + ')'
          : 'The bridge does not answer (or refuses)';
      setStatus('reconnecting', why + '; reconnecting in ' + (wait / 1000) + ' s'
          + (cursor && resumable ? ', resuming after the last event' : '') + '.');
      retryTimer = setTimeout(open, wait);
    };
  }

  /** The status and reason of the bridge's answer to the subscription as a plain request, or null. */
  function explainRefusal(target) {
    const controller = new AbortController();
    return fetch(streamUrl(target).replace(/^ws/, 'http'), {
      headers: { Accept: 'text/event-stream' }, cache: 'no-store', credentials: 'omit', signal: controller.signal,
    }).then((answer) => {
      if (answer.ok) {
        controller.abort(); // allowed after all (access changed meanwhile): not a refusal to explain
        return null;
      }
      return answer.text().then((text) => answer.status + ' ' + text.trim());
    }).catch(() => null);
  }

  function stop() {
    wanted = null;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close(1000, 'stopped');
    }
    stopped();
  }

  function stopped() {
    wanted = null;
    $('disconnect').disabled = true;
    $('pause').disabled = true;
    if (status.dataset.state === 'live' || status.dataset.state === 'connecting') {
      setStatus('idle', 'Stopped.');
    }
  }

  function togglePause() {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      const queued = pending;
      pending = [];
      queued.forEach(show);
    }
  }

  function clearView() {
    rows.replaceChildren();
    charts.replaceChildren();
    series.clear();
    seen.clear();
    seenOrder.length = 0;
    pending = [];
    received = 0;
    $('count').textContent = '0';
  }

  function show(event) {
    const id = event.id === undefined ? null : String(event.id);
    if (id !== null) {
      if (seen.has(id)) return;
      seen.add(id);
      seenOrder.push(id);
      if (seenOrder.length > 10 * MAX_ROWS) seen.delete(seenOrder.shift());
    }
    received++;
    $('count').textContent = String(received);
    const device = event.device !== undefined ? String(event.device) : '';
    const row = document.createElement('tr');
    if (id !== null) row.dataset.id = id;
    [event.time || '', device, event.type || '', event.subject || ''].forEach((text) => {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.appendChild(cell);
    });
    const data = document.createElement('td');
    data.className = 'data';
    data.textContent = event.data !== undefined ? JSON.stringify(event.data)
        : (event.data_base64 !== undefined ? '(binary, ' + event.data_base64.length + ' base64 characters)' : '');
    row.appendChild(data);
    rows.insertBefore(row, rows.firstChild);
    while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastChild);
    chart(event, device);
  }

  function chart(event, device) {
    if (typeof uPlot === 'undefined' || !event.data || typeof event.data !== 'object' || Array.isArray(event.data)) {
      return;
    }
    const parsed = Date.parse(event.time);
    const time = (Number.isNaN(parsed) ? Date.now() : parsed) / 1000;
    Object.entries(event.data).forEach(([field, value]) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return;
      let entry = series.get(field);
      if (!entry) {
        if (series.size >= MAX_CHARTS) return;
        entry = newChart(field);
        series.set(field, entry);
      }
      if (!entry.values.has(device)) {
        entry.values.set(device, entry.times.map(() => null));
        entry.devices.push(device);
        entry.plot.addSeries({ label: device || '(no device)', stroke: color(entry.devices.length - 1),
          spanGaps: true });
      }
      entry.times.push(time);
      entry.values.forEach((values, name) => values.push(name === device ? value : null));
      if (entry.times.length > MAX_POINTS) {
        entry.times.shift();
        entry.values.forEach((values) => values.shift());
      }
      entry.plot.setData([entry.times].concat(entry.devices.map((name) => entry.values.get(name))));
    });
  }

  function newChart(field) {
    const figure = document.createElement('figure');
    figure.dataset.field = field;
    const caption = document.createElement('figcaption');
    caption.textContent = 'data.' + field;
    figure.appendChild(caption);
    charts.appendChild(figure);
    const scales = {
      x: { time: true },
      // some room above and below the lines, also when all values are equal
      y: { range: (u, min, max) => (min === null ? [0, 1] : [min - Math.max((max - min) * 0.1, 1),
        max + Math.max((max - min) * 0.1, 1)]) }
    };
    const plot = new uPlot({ width: 420, height: 200, series: [{}], scales: scales }, [[]], figure);
    return { plot: plot, devices: [], times: [], values: new Map() };
  }

  function color(index) {
    return 'hsl(' + ((index * 137) % 360) + ', 65%, 42%)';
  }

  form.addEventListener('submit', subscribe);
  $('disconnect').addEventListener('click', stop);
  $('pause').addEventListener('click', togglePause);
  $('credentials').addEventListener('change', showCredentials);
  showCredentials();

  const initial = new URLSearchParams(location.search).get('application');
  if (initial) {
    $('application').value = initial;
    form.requestSubmit();
  }
}());
