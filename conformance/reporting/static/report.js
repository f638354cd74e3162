// rtconform report: filters and ordering for the case matrix. Optional: the report reads the same
// without it. It only toggles `hidden` and moves existing rows; it never builds markup from data.
"use strict";
(function () {
  const form = document.getElementById("filters");
  const table = document.getElementById("matrix");
  if (!form || !table) { return; }
  const groups = Array.from(table.tBodies);
  const rows = Array.from(table.querySelectorAll("tr.case"));
  const text = new Map(rows.map((r) => [r, r.textContent.toLowerCase()]));
  const byOrder = (key) => (a, b) => key(a) - key(b);
  const num = (el, name) => Number(el.dataset[name]);

  function selected() {
    const outcomes = new Set(Array.from(form.querySelectorAll("input[name=outcome]:checked"), (i) => i.value));
    return { outcomes, level: form.elements.level.value, group: form.elements.group.value,
             q: form.elements.q.value.trim().toLowerCase() };
  }

  function apply() {
    const f = selected();
    let shown = 0;
    for (const g of groups) {
      let any = false;
      const groupOk = !f.group || g.dataset.group === f.group;
      for (const r of g.querySelectorAll("tr.case")) {
        const ok = groupOk && (!f.level || r.dataset.level === f.level)
          && r.dataset.outcomes.split(" ").some((o) => f.outcomes.has(o))
          && (!f.q || text.get(r).includes(f.q));
        r.hidden = !ok;
        if (ok) { any = true; shown += 1; }
      }
      g.hidden = !any;
    }
    form.elements.shown.value = `showing ${shown} of ${rows.length} cases`;
  }

  function order() {
    const catalog = form.elements.order.value === "catalog";
    const key = catalog ? (el) => num(el, "order") : (el) => num(el, "rank") * 1e9 + num(el, "order");
    for (const g of groups.slice().sort(byOrder(key))) {
      const cases = Array.from(g.querySelectorAll("tr.case")).sort(byOrder(key));
      for (const r of cases) { g.appendChild(r); }
      table.appendChild(g);
    }
  }

  function reveal() {
    // a link to one case (#ws/5.2/...) must show it, whatever the filters say
    const id = decodeURIComponent(location.hash.slice(1));
    const row = id && document.getElementById(id);
    if (row && row.hidden) { form.reset(); order(); apply(); row.scrollIntoView(); }
  }

  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", (e) => { if (e.target.name === "order") { order(); } apply(); });
  form.addEventListener("submit", (e) => e.preventDefault());
  window.addEventListener("hashchange", reveal);
  apply();
})();
