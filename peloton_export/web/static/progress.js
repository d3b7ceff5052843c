// peloton-export serve: live progress of one run (server-sent events). The page works without it
// (it reloads itself every 2 s inside <noscript>); no inline script, no third party.
"use strict";
(function () {
  const run = document.getElementById("run");
  if (!run || !window.EventSource) return;
  const source = new EventSource(run.dataset.events);
  const text = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
  source.onmessage = (message) => {
    const job = JSON.parse(message.data);
    text("phase", job.phase);
    text("description", job.description || "");
    text("outcome", job.outcome || "running");
    text("count", job.total ? job.completed + " of " + job.total : String(job.completed));
    const bar = document.getElementById("bar");
    if (bar) { bar.max = job.total || 1; bar.value = job.total ? job.completed : 0; }
    const list = document.getElementById("lines");
    if (list) {
      list.replaceChildren(...job.lines.map((line) => { const li = document.createElement("li"); li.textContent = line; return li; }));
    }
    if (!job.running) { source.close(); run.dataset.done = "1"; }
  };
  source.onerror = () => { source.close(); };
})();
