// The local console's page: draws what /api/events sends (console-state.ts's ConsoleState) and the
// drain workflow's graph from /api/graph (graph-layout.ts). Plain browser JavaScript, no build
// step; text from the local cloud is only ever set as text (textContent), never as markup.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
/** Per task: the session counts seen so far (at most SPARK_POINTS), for the sparkline. */
const sessionTrail = new Map();
const SPARK_POINTS = 60;

const page = {
  state: undefined,
  graph: undefined,
  /** The execution ARN shown in the graph and history; follows the newest running drain while #follow is checked. */
  selected: undefined,
};

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function table(headings, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headings.map((heading) => el('th', {}, heading)))), el('tbody', {}, rows));
}

const shortId = (taskArnOrId) => String(taskArnOrId ?? '').split('/').pop().slice(0, 8);

/** Real seconds as scenario time, "1 h 02 min", "4 min 05 s" or "12 s". */
function scenarioDuration(realSeconds) {
  const scale = page.state?.scale ?? 1;
  const total = Math.max(0, Math.round(realSeconds / scale));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor(total / 60) % 60;
  const seconds = total % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  if (minutes > 0) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${seconds} s`;
}

function since(iso, until) {
  if (!iso) return '';
  const end = until ? Date.parse(until) : Date.parse(page.state.at);
  return scenarioDuration((end - Date.parse(iso)) / 1000);
}

function renderSessions(sessions) {
  const counter = (name, label, value, alarm) => el('div', { class: `counter ${alarm && value > 0 ? alarm : ''}`, 'data-counter': name }, el('strong', {}, value), el('span', {}, label));
  const causes = Object.entries(sessions.droppedByCause).map(([cause, count]) => `${count} ${cause}`).join(', ');
  const counters = [
    counter('open', 'open now', sessions.open),
    counter('ended', 'ended by their users', sessions.endedByUser),
    sessions.endedByServer === undefined ? undefined : counter('server', 'asked to reconnect (1012)', sessions.endedByServer),
    counter('dropped', causes ? `dropped (${causes})` : 'dropped', sessions.dropped, 'bad'),
    counter('refused', 'refused', sessions.refused, 'warn'),
  ];
  document.querySelector('#sessions .counters').replaceChildren(...counters.filter(Boolean));
}

function deploymentRow(deployment, service) {
  const progress = `${deployment.runningCount} of ${deployment.desiredCount} running${deployment.pendingCount ? `, ${deployment.pendingCount} pending` : ''}`;
  return el(
    'tr',
    { 'data-deployment': deployment.id },
    service ? el('td', {}, `${service.serviceName} (${service.clusterName})`) : null,
    el('td', { class: 'mono' }, deployment.id),
    el('td', {}, deployment.revision),
    el('td', {}, deployment.status),
    el('td', { class: `rollout ${deployment.rolloutState}` }, deployment.rolloutState),
    el('td', {}, progress),
    el('td', {}, since(deployment.createdAt)),
    el('td', {}, deployment.rolloutStateReason ?? ''),
  );
}

function renderDeployments(deployments) {
  const body = document.querySelector('#deployments .body');
  if (deployments.length === 0) return body.replaceChildren(el('p', { class: 'empty' }, 'None: every service is steady.'));
  body.replaceChildren(table(['Service', 'Deployment', 'Revision', 'Status', 'Rollout', 'Tasks', 'Running for', 'Reason'], deployments.map((deployment) => deploymentRow(deployment, deployment))));
}

function sparkline(taskArn, sessions) {
  const trail = sessionTrail.get(taskArn) ?? [];
  if (typeof sessions === 'number' && trail.at(-1)?.at !== page.state.at) trail.push({ at: page.state.at, sessions });
  if (trail.length > SPARK_POINTS) trail.splice(0, trail.length - SPARK_POINTS);
  sessionTrail.set(taskArn, trail);
  const max = Math.max(1, ...trail.map((point) => point.sessions));
  const points = trail.map((point, index) => `${(index / (SPARK_POINTS - 1)) * 80},${18 - (point.sessions / max) * 16}`).join(' ');
  return svg('svg', { class: 'spark', width: 80, height: 20, viewBox: '0 0 80 20', 'aria-hidden': 'true' }, svg('polyline', { points, fill: 'none' }));
}

function taskRow(task) {
  const stopped = task.lastStatus === 'STOPPED';
  const protection = task.protected ? `protected${task.protectionState === 'BLOCKED' ? ' (renewal BLOCKED)' : ''}` : task.protectionState === 'BLOCKED' ? 'BLOCKED' : 'no';
  const ecs = task.desiredStatus === 'STOPPED' && !stopped ? `${task.lastStatus} → STOPPED` : task.lastStatus;
  return el(
    'tr',
    { 'data-task-id': task.taskId, class: stopped ? 'stopped' : task.drainStatus === 'DRAINING' ? 'draining' : '' },
    el('td', { class: 'mono', title: task.taskArn }, shortId(task.taskId)),
    el('td', { class: 'ecs-status' }, ecs, task.stopCode ? el('small', {}, ` ${task.stopCode}`) : null),
    el('td', { class: `drain-status ${task.drainStatus ?? 'none'}` }, task.drainStatus ?? '—', task.drainReason && task.drainStatus !== 'ACTIVE' ? el('small', {}, ` ${task.drainReason}`) : null),
    el('td', { class: 'sessions' }, el('span', { class: 'count' }, task.sessions ?? '—'), stopped ? null : sparkline(task.taskArn, task.sessions)),
    el('td', { class: `protection ${task.protected ? 'on' : 'off'}` }, protection),
    el('td', { class: 'revision' }, task.revision),
    el('td', { class: 'mono deployment' }, task.deploymentId ?? ''),
    el('td', { class: `health ${task.health}` }, task.health, task.targetHealth ? el('small', {}, ` target ${task.targetHealth}`) : null),
    el('td', {}, stopped ? `stopped ${since(task.stoppedAt)} ago` : task.startedAt ? `up ${since(task.startedAt)}` : ''),
  );
}

function renderServices(services) {
  const body = document.querySelector('#services .body');
  if (services.length === 0) return body.replaceChildren(el('p', { class: 'empty' }, 'No service yet.'));
  body.replaceChildren(
    ...services.map((service) =>
      el(
        'article',
        { class: 'service', 'data-service': `${service.clusterName}/${service.serviceName}` },
        el('h3', {}, service.serviceName, el('small', {}, ` cluster ${service.clusterName} · ${service.status} · desired ${service.desiredCount}, running ${service.runningCount}, pending ${service.pendingCount}`)),
        table(['Deployment', 'Revision', 'Status', 'Rollout', 'Tasks', 'Age', 'Reason'], service.deployments.map((deployment) => deploymentRow(deployment))),
        table(['Task', 'ECS status', 'Drain status', 'Sessions', 'Protection', 'Revision', 'Deployment', 'Health', ''], service.tasks.map(taskRow)),
      ),
    ),
  );
}

function renderDrains(drains) {
  const body = document.querySelector('#drains .body');
  if (document.querySelector('#follow').checked) {
    const running = drains.find((drain) => drain.status === 'RUNNING');
    if (running) page.selected = running.executionArn;
  }
  if (page.selected === undefined && drains.length > 0) page.selected = drains[0].executionArn;
  if (drains.length === 0) return body.replaceChildren(el('p', { class: 'empty' }, 'No drain yet.'));
  const row = (drain) =>
    el(
      'tr',
      {
        'data-execution': drain.name,
        class: `${drain.executionArn === page.selected ? 'selected' : ''} ${drain.status}`,
        onclick: () => {
          document.querySelector('#follow').checked = false;
          page.selected = drain.executionArn;
          render();
        },
      },
      el('td', { class: 'mono' }, shortId(drain.taskArn ?? drain.name.split('-')[1])),
      el('td', {}, drain.reason ?? ''),
      el('td', { class: `status ${drain.status}` }, drain.status),
      el('td', { class: 'current-state' }, drain.currentState ?? ''),
      el('td', { class: 'outcome' }, drain.outcome ?? ''),
      el('td', {}, drain.sessionsAtStart ?? ''),
      el('td', {}, since(drain.startDate, drain.stopDate)),
    );
  body.replaceChildren(table(['Task', 'Reason', 'Status', 'State', 'Outcome', 'Sessions at start', 'Drained for'], drains.map(row)));
}

function wrapWords(text, width) {
  const lines = [''];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (lines[last] === '' || lines[last].length + word.length + 1 <= width) lines[last] = lines[last] === '' ? word : `${lines[last]} ${word}`;
    else lines.push(word);
  }
  return lines;
}

function drawGraph(graph) {
  const canvas = svg('svg', { viewBox: `0 0 ${graph.width} ${graph.height}`, role: 'img', 'aria-label': 'the drain workflow' });
  canvas.append(
    svg('defs', {}, ...['next', 'catch'].map((kind) => svg('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow ${kind}` })))),
  );
  for (const edge of graph.edges) {
    canvas.append(svg('polyline', { class: `edge ${edge.kind}`, 'data-from': edge.from, 'data-to': edge.to, points: edge.points.map((point) => `${point.x},${point.y}`).join(' '), 'marker-end': `url(#arrow-${edge.kind === 'catch' ? 'catch' : 'next'})` }));
  }
  for (const state of graph.states) {
    const lines = wrapWords(state.name, 24);
    const group = svg('g', { class: `state ${state.type}`, 'data-state': state.name, 'data-status': 'none' }, svg('title', {}, `${state.name} (${state.type})`));
    group.append(svg('rect', { x: state.x, y: state.y, width: state.width, height: state.height, rx: state.type === 'Choice' ? 14 : 4 }));
    lines.forEach((line, index) => group.append(svg('text', { x: state.x + state.width / 2, y: state.y + state.height / 2 + (index - (lines.length - 1) / 2) * 14 + 4 }, line)));
    canvas.append(group);
  }
  document.querySelector('#graph').replaceChildren(canvas);
}

function renderDrain(drain) {
  const summary = document.querySelector('#drain .summary');
  const history = document.querySelector('#history tbody');
  const section = document.querySelector('#drain');
  for (const group of document.querySelectorAll('#graph g.state')) {
    const status = drain?.states[group.dataset.state] ?? 'none';
    group.dataset.status = status;
    group.classList.toggle('current', drain !== undefined && group.dataset.state === drain.currentState);
  }
  if (drain === undefined) {
    section.dataset.execution = '';
    return history.replaceChildren();
  }
  section.dataset.execution = drain.name;
  summary.textContent = `${drain.name}: ${drain.reason ?? 'drain'} of task ${shortId(drain.taskArn)}, ${drain.status}${drain.outcome ? ` (${drain.outcome})` : ''}; ${drain.status === 'RUNNING' ? `in "${drain.currentState}"` : `ended in "${drain.currentState}"`} after ${since(drain.startDate, drain.stopDate)}.`;
  const started = Date.parse(drain.startDate ?? drain.events[0]?.timestamp ?? page.state.at);
  history.replaceChildren(
    ...drain.events.map((event) =>
      el('tr', { class: /Failed|TimedOut|Aborted/.test(event.type) ? 'failed' : '' }, el('td', {}, event.id), el('td', {}, event.type), el('td', {}, event.state ?? ''), el('td', {}, scenarioDuration((Date.parse(event.timestamp) - started) / 1000)), el('td', { class: 'detail' }, event.detail ?? '')),
    ),
  );
}

function render() {
  const { state } = page;
  if (state === undefined) return;
  const scale = state.scale;
  document.querySelector('#clock').textContent = `${new Date(state.at).toLocaleTimeString()} · times in scenario time (1 scenario second = ${+(scale * 1000).toFixed(3)} ms)`;
  renderSessions(state.sessions);
  renderDeployments(state.deploymentsInProgress);
  renderServices(state.services);
  renderDrains(state.drains);
  if (page.graph) renderDrain(state.drains.find((drain) => drain.executionArn === page.selected));
}

function setConnection(kind, text) {
  const connection = document.querySelector('#connection');
  connection.dataset.state = kind;
  connection.textContent = text;
}

async function loadGraph() {
  for (;;) {
    try {
      const response = await fetch('/api/graph');
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      page.graph = await response.json();
      drawGraph(page.graph);
      render();
      return;
    } catch (error) {
      setConnection('problem', `could not read the drain workflow: ${error.message}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function subscribe() {
  const events = new EventSource('/api/events');
  events.addEventListener('state', (message) => {
    page.state = JSON.parse(message.data);
    setConnection('live', 'live');
    render();
  });
  events.addEventListener('problem', (message) => setConnection('problem', JSON.parse(message.data).message));
  // EventSource reconnects by itself; say so meanwhile (the local cloud stopped, or is busy).
  events.addEventListener('error', () => setConnection('problem', 'not connected: is the local cloud still running?'));
}

loadGraph();
subscribe();
