// The board's small enhancements; the board works without them (plain links and a GET form).
(function () {
  "use strict";
  let saved = null;

  // Keep the board's horizontal scroll and the open dropdowns when htmx swaps the board content
  // (filters, swimlanes, live refresh after a sync).
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== "board-content") return;
    const scroller = document.querySelector("[data-board-scroll]");
    saved = {
      left: scroller ? scroller.scrollLeft : 0,
      open: Array.from(document.querySelectorAll("#board-content details[open][id]")).map((d) => d.id),
    };
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (!saved || !event.detail.target || event.detail.target.id !== "board-content") return;
    const scroller = document.querySelector("[data-board-scroll]");
    if (scroller) scroller.scrollLeft = saved.left;
    saved.open.forEach((id) => {
      const el = document.getElementById(id);
      if (el) el.open = true;
    });
    saved = null;
  });

  // After "show more", move keyboard focus to the first card that came in (the link that was
  // clicked is gone). htmx fires htmx:load on every element it inserts.
  document.addEventListener("htmx:load", (event) => {
    const el = event.target;
    const first = el.matches && el.matches("[data-focus-new]") ? el : el.querySelector && el.querySelector("[data-focus-new]");
    if (!first) return;
    first.removeAttribute("data-focus-new");
    const link = first.querySelector("a");
    if (link) link.focus({ preventScroll: true });
  });

  // A dropdown of filters closes on Escape or a click elsewhere, like a select would.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".filter-multi[open], .saved-views-manage[open]").forEach((d) => {
      d.open = false;
      const summary = d.querySelector("summary");
      if (summary && d.contains(document.activeElement)) summary.focus();
    });
  });
  document.addEventListener("click", (event) => {
    document.querySelectorAll(".filter-multi[open], .saved-views-manage[open]").forEach((d) => {
      if (!d.contains(event.target)) d.open = false;
    });
  });
})();
