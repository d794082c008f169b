// A screenshot of a memreap trace opened in a timeline viewer, offline: the DevTools front end
// that Debian's chromium bundles (devtools://devtools/bundled/), its Performance panel given the
// trace's events, in headless chromium driven over the DevTools protocol (a WebSocket).
// Usage: node [--experimental-websocket] screenshot.mjs TRACE.json OUT.png
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [tracePath, outPath] = process.argv.slice(2);
const WIDTH = 1280, HEIGHT = 800, DEADLINE_MS = 30000;
const events = JSON.parse(fs.readFileSync(tracePath, 'utf8')).traceEvents;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'memreap-shot-'));

const chromium = spawn('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`,
  '--remote-debugging-port=0', `--window-size=${WIDTH},${HEIGHT}`, 'about:blank'],
{stdio: ['ignore', 'ignore', 'pipe']});

function fail(message) {
  console.error(`trace-screenshot: ${message}`);
  chromium.kill();
  process.exit(1);
}
setTimeout(() => fail('no screenshot within 30 s'), DEADLINE_MS).unref();

const endpoint = await new Promise(resolve => {
  let said = '';
  chromium.stderr.on('data', chunk => {
    said += chunk;
    const m = said.match(/DevTools listening on (ws:\S+)/);
    if (m)
      resolve(m[1]);
  });
});
const ws = new WebSocket(endpoint);
await new Promise(resolve => ws.onopen = resolve);
let lastId = 0;
const pending = new Map();
ws.onmessage = m => {
  const msg = JSON.parse(m.data);
  pending.get(msg.id)?.(msg);
};
function send(method, params = {}, sessionId = undefined) {
  return new Promise((resolve, reject) => {
    const id = ++lastId;
    pending.set(id, msg => msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) :
      resolve(msg.result));
    ws.send(JSON.stringify({id, method, params, sessionId}));
  });
}
async function evaluate(expression, sessionId) {
  const r = await send('Runtime.evaluate', {expression, awaitPromise: true, returnByValue: true},
      sessionId);
  if (r.exceptionDetails)
    fail(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
  return r.result.value;
}
async function until(expression, sessionId) { // polls a condition, the deadline bounds it
  while (!await evaluate(expression, sessionId))
    await new Promise(resolve => setTimeout(resolve, 100));
}

const {targetId} = await send('Target.createTarget', {url: 'about:blank'});
const {sessionId} = await send('Target.attachToTarget', {targetId, flatten: true});
await send('Emulation.setDeviceMetricsOverride', {width: WIDTH, height: HEIGHT,
  deviceScaleFactor: 1, mobile: false}, sessionId);
await send('Page.navigate', {url: 'devtools://devtools/bundled/devtools_app.html'}, sessionId);
await until('document.readyState === "complete" && !!globalThis.localStorage', sessionId);
// No first-visit dialog, no sidebar: the timeline alone (the switches DevTools' own screenshot
// tests use).
await evaluate(`localStorage.setItem('hide-shortcuts-dialog-for-test', 'true');
  localStorage.setItem('disable-auto-show-rpp-sidebar-for-test', 'true');`, sessionId);
await evaluate(`(async () => {
  const UI = await import('devtools://devtools/bundled/ui/legacy/legacy.js');
  const Timeline = await import('devtools://devtools/bundled/panels/timeline/timeline.js');
  await UI.ViewManager.ViewManager.instance().showView('timeline');
  globalThis.memreapPanel = Timeline.TimelinePanel.TimelinePanel.instance();
  globalThis.memreapPanel.loadFromEvents(${JSON.stringify(events)});
})()`, sessionId);
await until('memreapPanel.flameChart?.getMainFlameChart().rawTimelineData?.groups?.length > 0',
    sessionId);
const groups = await evaluate(`(async () => { // the whole trace, every process track open
  const {BoundsManager} = (await import(
    'devtools://devtools/bundled/services/trace_bounds/trace_bounds.js')).TraceBounds;
  BoundsManager.instance().setTimelineVisibleWindow(
    BoundsManager.instance().state().micro.entireTraceBounds);
  const chart = memreapPanel.flameChart.getMainFlameChart();
  chart.rawTimelineData.groups.forEach((g, i) => g.expanded || chart.toggleGroupExpand(i));
  // The largest release selected: the details pane shows its size.
  const Timeline = await import('devtools://devtools/bundled/panels/timeline/timeline.js');
  const threads = [...memreapPanel.getParsedTraceForLayoutTests().Renderer.processes.values()]
    .flatMap(p => [...p.threads.values()]);
  const releases = threads.flatMap(t => t.entries).filter(e => e.ph === 'I' && e.args?.bytes);
  const largest = releases.sort((a, b) => b.args.bytes - a.args.bytes)[0];
  if (largest)
    memreapPanel.select(Timeline.TimelineSelection.selectionFromEvent(largest));
  return chart.rawTimelineData.groups.filter(g => g.style.nestingLevel === 0).map(g => g.name);
})()`, sessionId);
await evaluate(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`,
    sessionId); // two frames: the open tracks are painted
if (!groups.length)
  fail(`${tracePath}: the Performance panel shows no process track`);
const shot = await send('Page.captureScreenshot', {format: 'png'}, sessionId);
fs.writeFileSync(outPath, Buffer.from(shot.data, 'base64'));
console.log(`trace-screenshot: ${outPath}: ${groups.join(', ')}`);
chromium.kill();
await new Promise(resolve => chromium.on('exit', resolve));
fs.rmSync(profile, {recursive: true, force: true});
process.exit(0);
