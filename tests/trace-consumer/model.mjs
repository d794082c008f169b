// Reads a trace written by `memreap report --format trace` with two real consumers of Chrome's
// Trace Event Format, and prints what each one modelled, as JSON, for test_timeline.py to check:
//  - TracerBench's trace model (@tracerbench/trace-model): processes named by their metadata,
//    with their counter, instant and complete events;
//  - DevTools' trace engine (@paulirish/trace_engine, the Performance panel's model, which
//    Lighthouse uses): process names, and each thread's slices and instants.
// Usage: node model.mjs TRACE.json
import fs from 'node:fs';
import tracerbench from '@tracerbench/trace-model';
import {polyfillDOMRect} from '@paulirish/trace_engine/analyze-trace.mjs';
import * as Trace from '@paulirish/trace_engine';

function tracerbenchView(doc) {
  const model = tracerbench.buildModel(doc);
  return model.processes.map(p => {
    const counters = {};
    for (const e of p.events.filter(e => e.isCounter())) { // a stacked counter: its total
      const c = counters[e.name] ??= {samples: 0, max: 0, max_at: null, last: 0, series: {}};
      const total = Object.values(e.args).reduce((a, b) => a + b, 0);
      c.samples++;
      for (const [key, v] of Object.entries(e.args)) /* each series' maximum */
        c.series[key] = Math.max(c.series[key] ?? 0, v);
      if (total > c.max)
        [c.max, c.max_at] = [total, e.start];
      c.last = total;
    }
    return {
      pid: p.id, name: p.name, start: p.start, end: p.end, counters,
      instants: p.events.filter(e => e.isInstant()).map(e => ({name: e.name, ts: e.start,
        args: e.args})),
      slices: p.events.filter(e => e.isComplete()).map(e => ({name: e.name, start: e.start,
        end: e.end, parent: e.parent?.name ?? null})),
    };
  });
}

async function devtoolsView(doc) {
  polyfillDOMRect();
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(doc.traceEvents);
  const {Meta, Renderer} = model.parsedTrace(0).data;
  const processes = [];
  for (const [pid, meta] of Meta.processNames) {
    const threads = [...(Renderer.processes.get(pid)?.threads.values() ?? [])];
    processes.push({pid, name: meta.args.name, entries: threads.flatMap(t => t.entries.map(e =>
      ({name: e.name, ph: e.ph, ts: e.ts, dur: e.dur ?? null})))});
  }
  return {generic: Meta.traceIsGeneric, bounds: Meta.traceBounds, processes};
}

const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = {tracerbench: tracerbenchView(doc), devtools: await devtoolsView(doc)};
process.stdout.write(JSON.stringify(out) + '\n');
