// The room's board, drawn from the JSON of `/state.json` that the server
// pushes over server-sent events on every change. Everything a learner
// chose (names, reasons) goes in with textContent: it is text, never markup.
"use strict";
(() => {
  const token = new URLSearchParams(location.search).get("view") ?? "";
  const query = "?view=" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  let board = null;
  let receivedAt = 0;

  $("export-json").href = "/export.json" + query;
  $("export-csv").href = "/export.csv" + query;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A title's `code` as code, the rest as text: `client USD 100` prints
  // `122 USD` reads as it does in the terminal, without its backticks.
  function titled(text) {
    return text.split("`").map((piece, i) => (i % 2 ? el("code", "", piece) : piece));
  }

  // `part1.client_test` → `client_test`; `part1.webserver.contract` →
  // `contract`: the row or the list already says which exercise.
  const short = (id) => id.slice(id.lastIndexOf(".") + 1);
  const minutes = (secs) => Math.floor(secs / 60);

  // The part's clock runs on between checks: what the server said, plus
  // the time since it said it, against the minute the exercise is due.
  function clock(current) {
    if (!current) return null;
    const spent = current.spent_secs + Math.max(0, (Date.now() - receivedAt) / 1000);
    return { ...current, spent, over: spent > current.minutes * 60 };
  }

  function head() {
    const parts = [];
    for (const exercise of board.exercises) {
      const last = parts[parts.length - 1];
      if (last && last.id === exercise.part) last.count += 1;
      else parts.push({ id: exercise.part, count: 1 });
    }
    const top = el("tr");
    top.append(el("th", "", "learner"), el("th", "", "on"), el("th", "", "first failure"));
    for (const part of parts) {
      const th = el("th", "part", part.id);
      th.colSpan = part.count;
      top.append(th);
    }
    const second = el("tr");
    second.append(el("th"), el("th"), el("th"));
    for (const exercise of board.exercises) {
      const th = el("th", "exercise", short(exercise.id));
      th.title = exercise.title;
      th.append(el("span", "count", `${exercise.passed}/${board.learners.length} ✓`));
      second.append(th);
    }
    $("board").tHead.replaceChildren(top, second);
  }

  function row(learner) {
    const tr = el("tr");
    const now = clock(learner.current);
    if (now?.over) tr.classList.add("over");
    if (learner.passing) tr.classList.add("passing");
    const name = el("td", "name", learner.name);
    name.title = `${learner.reports} checks, last at ${learner.last_seen}`;
    const on = el("td", "now");
    if (!learner.part) on.textContent = "joined";
    else if (learner.passing) on.textContent = `${learner.part} passes`;
    else if (now) {
      on.append(short(now.exercise));
      on.append(el("span", "mins", `${minutes(now.spent)}/${now.minutes} min`));
    } else on.textContent = learner.part;
    const why = el("td", "why");
    if (learner.failing) {
      why.append(el("code", "", short(learner.failing.check)), " ", learner.failing.reason);
      why.title = `${learner.failing.check}: ${learner.failing.reason}`;
    }
    tr.append(name, on, why);
    for (const exercise of board.exercises) {
      const cell = learner.cells[exercise.id];
      const td = el("td", cell.status);
      td.dataset.exercise = exercise.id;
      td.append({ passed: "✓", failing: "✗", not_started: "·" }[cell.status] ?? "?");
      const report = cell.report;
      if (report?.hint) td.append(el("span", "hint", `h${report.hint.level}`));
      if (now && now.exercise === exercise.id) td.classList.add("current");
      if (report) {
        const lines = report.checks.map((c) => `${c.passed ? "✓" : "✗"} ${short(c.id)}: ${c.reason}`);
        if (!cell.built) lines.unshift("✗ it does not build");
        lines.push(`${report.gaps - report.gaps_left} of ${report.gaps} gaps filled`);
        td.title = lines.join("\n");
      }
      tr.append(td);
    }
    return tr;
  }

  function exercises() {
    const items = board.exercises.map((exercise) => {
      const li = el("li");
      li.append(el("strong", "", exercise.id), " ", ...titled(exercise.title));
      li.append(el("span", "tally",
        `${exercise.passed} passed, ${exercise.failing} failing, ${exercise.not_started} not started`));
      const common = exercise.common_failure;
      if (common) {
        const line = el("div", "common");
        const who = common.learners === 1 ? "1 learner" : `${common.learners} learners`;
        line.append(`most common (${who}): `, el("code", "", short(common.check)), " ", common.reason);
        li.append(line);
      }
      return li;
    });
    $("exercises").replaceChildren(...items);
  }

  function render() {
    if (!board) return;
    head();
    $("board").tBodies[0].replaceChildren(...board.learners.map(row));
    exercises();
    const over = board.learners.filter((learner) => clock(learner.current)?.over).length;
    const passing = board.learners.filter((learner) => learner.passing).length;
    $("totals").textContent =
      `${board.learners.length} learners: ${passing} passing their part, ${over} past the minute their exercise is due`;
    $("empty").classList.toggle("hidden", board.learners.length > 0);
    // With `--offline`: the workshop's archive, counts only.
    const downloads = board.downloads;
    $("downloads").classList.toggle("hidden", !downloads);
    if (downloads) {
      $("downloads").textContent =
        `archive: ${downloads.downloaded} downloaded, ${downloads.downloading} downloading, ${downloads.waiting} waiting`;
    }
    document.body.dataset.generated = board.generated_at;
  }

  function live(up) {
    $("live").className = up ? "up" : "down";
    $("live").textContent = up ? "live" : "reconnecting…";
  }

  const events = new EventSource("/events" + query);
  events.addEventListener("board", (event) => {
    board = JSON.parse(event.data);
    receivedAt = Date.now();
    live(true);
    render();
  });
  events.addEventListener("error", () => live(false));
  // The clocks move on even when nobody checks.
  setInterval(render, 15000);
})();
